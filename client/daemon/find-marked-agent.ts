import { readdirSync, readFileSync } from "node:fs";
import { processStartTime } from "./process-identity.js";

/**
 * The environment variable every agent is started with: its session id. The
 * session's registry entry is written (pid 0) before the spawn, so a daemon
 * killed between the spawn and the entry's pid being recorded leaves an entry
 * by which its next run finds the agent: the process whose environment names
 * that session.
 */
export const agentSessionVariable = "WORKSPACE_SESSION_ID";

/**
 * The live process started with `WORKSPACE_SESSION_ID=<sessionId>` in its
 * environment, read from `/proc/<pid>/environ` (processes of the daemon's own
 * user); undefined when there is none, or without `/proc`. The oldest when
 * several match (an agent's own children inherit the variable).
 */
export function findMarkedAgent(sessionId: string, procDir = "/proc"): { pid: number; startTime: string } | undefined {
  const marker = Buffer.from(`${agentSessionVariable}=${sessionId}\0`);
  let names: string[];
  try {
    names = readdirSync(procDir);
  } catch {
    return undefined;
  }
  let found: { pid: number; startTime: string } | undefined;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    let environ: Buffer;
    try {
      environ = readFileSync(`${procDir}/${name}/environ`);
    } catch {
      continue;
    }
    if (!(environ.indexOf(marker) === 0 || environ.indexOf(Buffer.concat([Buffer.from("\0"), marker])) >= 0)) continue;
    const startTime = processStartTime(pid);
    if (startTime === "") continue;
    if (found === undefined || Number(startTime) < Number(found.startTime)) found = { pid, startTime };
  }
  return found;
}
