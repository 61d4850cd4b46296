import { readFileSync } from "node:fs";
import { isErrno } from "./errno-of.js";

/**
 * The start time of process `pid` (field 22 of `/proc/<pid>/stat`, in clock
 * ticks since boot) as a string; with the pid it identifies one process, so a
 * pid reused by another process is told apart. "" when the process does not
 * exist, is a zombie, or `/proc` is not available (not Linux).
 */
export function processStartTime(pid: number): string {
  const fields = statFields(pid);
  if (fields === undefined) return "";
  // fields[0] is field 3 (state); field 22 is fields[19].
  const state = fields[0];
  if (state === "Z" || state === "X" || state === "x") return "";
  return fields[19] ?? "";
}

/**
 * True while the process `pid` exists, runs (is not a zombie), and started at
 * `startTime` (from processStartTime). Without `/proc` (not Linux) or with an
 * empty `startTime` only the pid is checked.
 */
export function isSameProcess(pid: number, startTime: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const fields = statFields(pid);
  if (fields === undefined) return !hasProc() && pidExists(pid);
  const state = fields[0];
  if (state === "Z" || state === "X" || state === "x") return false;
  return startTime === "" || fields[19] === startTime;
}

/** Fields 3.. of /proc/<pid>/stat; undefined when it cannot be read. */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 (the command name, in parentheses) may hold spaces and ")".
  const end = text.lastIndexOf(")");
  if (end < 0) return undefined;
  return text
    .slice(end + 1)
    .trim()
    .split(/\s+/);
}

let procAvailable: boolean | undefined;

function hasProc(): boolean {
  if (procAvailable === undefined) procAvailable = statFields(process.pid) !== undefined;
  return procAvailable;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return isErrno(error, "EPERM");
  }
}

/**
 * Sends `signal` to the process group led by `pid` (agents are spawned as
 * group leaders), falling back to the process alone. False when neither exists.
 */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
