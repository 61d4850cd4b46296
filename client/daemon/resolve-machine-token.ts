import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { errnoOrMessage } from "./errno-of.js";

/** The machine token file a daemon reads when it is given no token: `<state dir>/machine-token`. */
export function defaultTokenFile(stateDir: string): string {
  return path.join(stateDir, "machine-token");
}

/** Where a daemon's machine token may come from, in the order they are tried. */
export interface MachineTokenSources {
  /** `--token-file` (or `WSCTL_TOKEN_FILE`): read it, mode 0600. */
  file?: string | undefined;
  /** `--token`: works, with a warning (every user of the machine sees it in `ps`). */
  flag?: string | undefined;
  /** `WSCTL_TOKEN`. */
  env?: string | undefined;
  /** The state directory, whose `machine-token` file is read when nothing else is given. */
  stateDir: string;
}

export interface ResolvedMachineToken {
  token: string;
  /** Where it came from, for the log: `--token-file PATH`, `--token`, `WSCTL_TOKEN` or the default file. */
  source: string;
  /** What the operator should hear about (a token on the command line). */
  warnings: string[];
}

/**
 * The daemon's machine token: from `--token-file`, else `--token` (warned
 * about), else `WSCTL_TOKEN`, else the state directory's `machine-token`
 * file (what `wsctl daemon register` writes). A `WSCTL_TOKEN` holding an API
 * token (`wsa_…`, exported for the client verbs) is passed over with a
 * warning, since no daemon can subscribe with one. A token file must be a regular file that neither group nor others may
 * read or write (mode 0600 or stricter, as ssh wants of a private key), holding
 * one token. Throws an Error saying what to fix.
 */
export async function resolveMachineToken(sources: MachineTokenSources): Promise<ResolvedMachineToken> {
  if (sources.file && sources.flag) throw new Error("give the machine token once: --token-file or --token, not both");
  if (sources.file) return { token: await readTokenFile(sources.file), source: `--token-file ${sources.file}`, warnings: [] };
  if (sources.flag) {
    return {
      token: checkToken(sources.flag, "--token"),
      source: "--token",
      warnings: [
        "the machine token was given with --token: every user of this machine can read it in `ps`; put it in a file (mode 0600) and pass --token-file, or set WSCTL_TOKEN",
      ],
    };
  }
  const warnings: string[] = [];
  if (sources.env?.startsWith("wsa_")) {
    warnings.push("WSCTL_TOKEN holds an API token (wsa_...), not a machine token: it is ignored");
  } else if (sources.env) {
    return { token: checkToken(sources.env, "WSCTL_TOKEN"), source: "WSCTL_TOKEN", warnings };
  }
  const fallback = defaultTokenFile(sources.stateDir);
  try {
    return { token: await readTokenFile(fallback), source: fallback, warnings };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  throw new Error(
    `no machine token: run "wsctl daemon register" (it writes ${fallback}), pass --token-file FILE, or set WSCTL_TOKEN`,
  );
}

/** The token in a token file (surrounding whitespace dropped), once its type and mode are right. */
export async function readTokenFile(file: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    const e = new Error(`cannot read the token file ${file} (${errnoOrMessage(error)})`) as NodeJS.ErrnoException;
    e.code = (error as NodeJS.ErrnoException).code;
    throw e;
  }
  if (!info.isFile()) throw new Error(`the token file ${file} is not a regular file`);
  const mode = info.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`the token file ${file} can be read or written by others (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 600 ${file}`);
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the token file ${file} (${errnoOrMessage(error)})`);
  }
  return checkToken(text.trim(), `the token file ${file}`);
}

function checkToken(token: string, where: string): string {
  if (!/^[\x21-\x7e]{1,512}$/.test(token)) throw new Error(`${where} does not hold one token (one line of visible ASCII characters)`);
  return token;
}
