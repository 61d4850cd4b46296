import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** What a running daemon writes about itself, and `wsctl daemon status` reads. */
export interface DaemonStatus {
  pid: number;
  version: string;
  server: string;
  /** connecting, connected, reconnecting, stopping, stopped. */
  state: string;
  /** When the daemon entered `state` (ISO 8601). */
  since: string;
  started_at: string;
  /** Subscriptions after the first. */
  reconnects: number;
  /** Commands carried out, by kind. */
  commands: Record<string, number>;
  /** Request id of the last command that carried one. */
  last_request_id?: string;
  /** Why the last stream failed, while reconnecting. */
  last_error?: string;
  /** Workspace ids this daemon serves. */
  workspaces: string[];
}

/** `daemon-status.json` in the state directory. */
export function daemonStatusPath(stateDir: string): string {
  return path.join(stateDir, "daemon-status.json");
}

/** Replaces the status file in one step (write, then rename), mode 0600. */
export async function writeDaemonStatus(stateDir: string, status: DaemonStatus): Promise<void> {
  const file = daemonStatusPath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** The status a daemon left in `stateDir`, or undefined when there is none. */
export async function readDaemonStatus(stateDir: string): Promise<DaemonStatus | undefined> {
  try {
    return JSON.parse(await readFile(daemonStatusPath(stateDir), "utf8")) as DaemonStatus;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` is alive (signal 0). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
