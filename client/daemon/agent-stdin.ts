import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, rmSync, writeSync } from "node:fs";
import { sleep } from "./create-backoff.js";
import { DaemonError } from "./daemon-error.js";
import { errnoOrMessage, isErrno } from "./errno-of.js";

/**
 * A Claude Code agent started with `--input-format stream-json` reads user
 * events from its stdin for as long as it is open. Its stdin is a FIFO in the
 * daemon's state directory, which the agent itself holds open for reading and
 * writing: it never sees end-of-file when a daemon exits, and a restarted
 * daemon writes to it again by its path.
 */

/** Creates the FIFO at `path` (mode 0600), replacing whatever was there. */
export function createStdinFifo(path: string): void {
  rmSync(path, { force: true });
  try {
    execFileSync("mkfifo", ["-m", "600", path], { stdio: "ignore" });
  } catch (error) {
    throw new DaemonError("agent_stdin_failed", `could not create the agent's stdin pipe (${errnoOrMessage(error)})`);
  }
}

/** A descriptor of the FIFO for the agent's stdin (read and write, so opening never blocks); the caller closes it after the spawn. */
export function openStdinForAgent(path: string): number {
  try {
    return openSync(path, constants.O_RDWR);
  } catch (error) {
    throw new DaemonError("agent_stdin_failed", `could not open the agent's stdin pipe (${errnoOrMessage(error)})`);
  }
}

/** A stream-json user event carrying `text`. */
export function userEventLine(text: string): string {
  return `${JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text }] }, parent_tool_use_id: null })}\n`;
}

/** Writes chains per FIFO, so two messages never interleave. */
const chains = new Map<string, Promise<unknown>>();

/**
 * Writes `text` as one user event to the agent's stdin FIFO. Throws a
 * DaemonError `agent_not_running` when no process reads it any more, or
 * `agent_stdin_failed` when the agent has not read its input for `timeoutMs`.
 */
export function writeUserEvent(path: string, text: string, timeoutMs = 10_000): Promise<void> {
  const previous = chains.get(path) ?? Promise.resolve();
  const next = previous.then(() => writeAll(path, Buffer.from(userEventLine(text), "utf8"), timeoutMs));
  const settled = next.catch(() => undefined);
  chains.set(path, settled);
  void settled.then(() => {
    if (chains.get(path) === settled) chains.delete(path);
  });
  return next;
}

async function writeAll(path: string, bytes: Buffer, timeoutMs: number): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error, "ENXIO") || isErrno(error, "ENOENT")) throw new DaemonError("agent_not_running", "the agent is no longer reading its input");
    throw new DaemonError("agent_stdin_failed", `could not open the agent's stdin (${errnoOrMessage(error)})`);
  }
  const deadline = Date.now() + timeoutMs;
  try {
    let written = 0;
    while (written < bytes.length) {
      try {
        written += writeSync(fd, bytes, written);
      } catch (error) {
        if (isErrno(error, "EPIPE")) throw new DaemonError("agent_not_running", "the agent is no longer reading its input");
        if (!isErrno(error, "EAGAIN")) throw new DaemonError("agent_stdin_failed", `could not write to the agent's stdin (${errnoOrMessage(error)})`);
        if (Date.now() > deadline) throw new DaemonError("agent_stdin_failed", "the agent did not read its input in time");
        await sleep(20);
      }
    }
  } finally {
    closeSync(fd);
  }
}
