/**
 * Asks for a secret on the terminal without echoing it: writes `prompt` to
 * stderr, reads one line from stdin in raw mode (Backspace erases, Ctrl-C or
 * Ctrl-D gives up with an Error), restores the terminal and resolves with the
 * line. Undefined when stdin is not a terminal: there is nobody to ask.
 */
export async function readSecretFromTty(prompt: string): Promise<string | undefined> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) return undefined;
  stderr.write(prompt);
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let line = "";
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            resolve(line);
            return;
          }
          if (ch === "\u0003" || ch === "\u0004") {
            stdin.off("data", onData);
            reject(new Error("no token given"));
            return;
          }
          if (ch === "\u007f" || ch === "\b") line = line.slice(0, -1);
          else line += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(wasRaw);
    stdin.pause();
    stderr.write("\n");
  }
}
