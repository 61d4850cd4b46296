// Stand-in agent executables for the daemon's tests: small Node scripts written
// into a temp dir at test time. Each records its argv and cwd as JSON (one file
// per run, named after its pid) in `recordDir`, then behaves as its name says.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface StandInAgents {
  dir: string;
  recordDir: string;
  /** Stays alive until signalled. */
  sleeper: string;
  /** Exits 0 at once. */
  exitZero: string;
  /** Writes to stderr and exits 3 at once. */
  exitThree: string;
  /** Ignores SIGTERM (records that it got one) and stays alive. */
  stubborn: string;
  /** Records a SIGTERM (`<pid>.json.sigterm`) and exits 0 on it; stays alive until then. */
  graceful: string;
  /** Prints a codex `thread.started` event, then stays alive. */
  codex: string;
  /** Prints Claude Code's stream-json `system`/`init` event, then stays alive. */
  claudeInit: string;
  /** A file that is not executable. */
  notExecutable: string;
  /** Records written so far, oldest first. */
  records(): Promise<AgentRunRecord[]>;
  cleanup(): Promise<void>;
}

export interface AgentRunRecord {
  pid: number;
  argv: string[];
  cwd: string;
  at: number;
  /** The `WSCTL_*` variables of the agent's environment, with their values. */
  wsctlEnv: Record<string, string>;
  /** The first line read from a stream-json stdin (the prompt's user event), once read. */
  stdin?: string;
}

/** The prompt an agent was started with: after `--` on its command line, or the text of its first stream-json user event. */
export function promptOf(run: AgentRunRecord): string | undefined {
  const dashes = run.argv.indexOf("--");
  if (dashes >= 0) return run.argv[dashes + 1];
  if (run.stdin === undefined) return undefined;
  try {
    const event = JSON.parse(run.stdin) as { message?: { content?: { text?: string }[] } };
    return event.message?.content?.map((block) => block.text ?? "").join("");
  } catch {
    return undefined;
  }
}

export const codexThreadId = "0199a213-81c0-7800-8aa1-bbab2a035a53";
export const claudeSessionId = "0fd08313-1251-47be-923d-675664691820";

function script(recordDir: string, body: string): string {
  return `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const record = path.join(${JSON.stringify(recordDir)}, process.pid + ".json");
const run = { pid: process.pid, argv: process.argv.slice(2), cwd: process.cwd(), at: Date.now(), wsctlEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("WSCTL_"))) };
const save = () => {
  fs.writeFileSync(record + ".tmp", JSON.stringify(run));
  fs.renameSync(record + ".tmp", record);
};
${body}
save();
// A stream-json stdin (a FIFO): its first line, the prompt's user event, is recorded too.
try {
  if (fs.fstatSync(0).isFIFO()) {
    let buffered = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf(String.fromCharCode(10));
      if (end >= 0 && run.stdin === undefined) {
        run.stdin = buffered.slice(0, end);
        save();
      }
    });
    process.stdin.unref();
  }
} catch {}
`;
}

const keepAlive = "setInterval(() => {}, 1 << 30);";

export async function createStandInAgents(): Promise<StandInAgents> {
  const dir = await mkdtemp(path.join(tmpdir(), "wsctl-agents-"));
  const recordDir = path.join(dir, "records");
  await mkdir(recordDir);
  const write = async (name: string, body: string, mode = 0o755) => {
    const file = path.join(dir, name);
    await writeFile(file, script(recordDir, body));
    await chmod(file, mode);
    return file;
  };
  return {
    dir,
    recordDir,
    sleeper: await write("agent-sleeper", keepAlive),
    exitZero: await write("agent-exit-zero", "process.on('exit', () => {});"),
    exitThree: await write(
      "agent-exit-three",
      "process.on('exit', () => {}); setImmediate(() => { process.stderr.write('fatal: model not available\\n'); process.exit(3); });",
    ),
    stubborn: await write(
      "agent-stubborn",
      `process.on("SIGTERM", () => fs.writeFileSync(record + ".sigterm", "")); ${keepAlive}`,
    ),
    graceful: await write(
      "agent-graceful",
      `process.on("SIGTERM", () => { fs.writeFileSync(record + ".sigterm", ""); process.exit(0); }); ${keepAlive}`,
    ),
    codex: await write(
      "agent-codex",
      `process.stdout.write(JSON.stringify({ type: "thread.started", thread_id: "${codexThreadId}" }) + "\\n"); ${keepAlive}`,
    ),
    claudeInit: await write(
      "agent-claude-init",
      `process.stdout.write(JSON.stringify({ type: "system", subtype: "init", session_id: "${claudeSessionId}", model: "claude-haiku-4-5", tools: [] }) + "\\n"); ${keepAlive}`,
    ),
    notExecutable: await write("agent-not-executable", keepAlive, 0o644),
    async records() {
      const names = (await readdir(recordDir)).filter((n) => n.endsWith(".json"));
      const all = await Promise.all(
        names.map(async (n) => JSON.parse(await readFile(path.join(recordDir, n), "utf8")) as AgentRunRecord),
      );
      return all.sort((a, b) => a.at - b.at);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
