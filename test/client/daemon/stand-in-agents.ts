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
}

export const codexThreadId = "0199a213-81c0-7800-8aa1-bbab2a035a53";

function script(recordDir: string, body: string): string {
  return `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const record = path.join(${JSON.stringify(recordDir)}, process.pid + ".json");
${body}
fs.writeFileSync(record + ".tmp", JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), cwd: process.cwd(), at: Date.now(), wsctlEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("WSCTL_"))) }));
fs.renameSync(record + ".tmp", record);
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
