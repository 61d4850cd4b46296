import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import type { JsonObject } from "@bufbuild/protobuf";
import { isErrno } from "../errno-of.js";
import { type PermissionDecision, parseSessionPolicy, type SessionPolicy } from "./permission-policy.js";

/**
 * The hand-off between an agent's permission server and the daemon: files in
 * the session's permission directory (`<state dir>/agents/<session>.permissions/`),
 * so a request and its decision survive a daemon restart (the permission
 * server is the agent's child, not the daemon's):
 *
 * - `policy.json`, `mcp-config.json`: written by the daemon before the agent starts;
 * - `<request_id>.request.json`: written by the permission server when the agent asks;
 * - `<request_id>.decision.json`: the decision, first writer wins (a hard link
 *   of a finished file: the daemon with an answer or its fallback, or the
 *   permission server giving up); never replaced;
 * - `<request_id>.delivered`: written by the permission server once it answered the agent
 *   (for people looking into a session; the daemon does not wait for it);
 * - `<request_id>.sent-request`, `<request_id>.sent-decision`: the daemon's marks
 *   that the PERMISSION_REQUEST / PERMISSION_DECISION entry is in the transcript.
 *
 * Every file is written aside, fsynced and renamed (or linked) into place.
 */

/** What the agent asked, as its permission server wrote it. */
export interface PermissionAsk {
  request_id: string;
  tool_name: string;
  input: JsonObject;
  tool_use_id: string;
  /** Why the agent asks, when it says so (`reason`, or a Bash call's `description`). */
  reason: string;
  /** ISO 8601: when the permission server got the call. */
  create_time: string;
}

/** The decision on a request, as its first writer wrote it. */
export interface PermissionVerdict {
  request_id: string;
  decision: PermissionDecision;
  /** To the agent: with `deny`, what to do instead. */
  message: string;
  /** With `allow`: the input the tool runs with instead of the agent's. */
  updated_input?: JsonObject;
  remember: boolean;
  /** `tok_...` (the API token that answered), `timeout` or `remembered`. */
  decided_by: string;
  /** ISO 8601. */
  decide_time: string;
}

/** What one file of a request says. */
export type RequestFile = "request.json" | "decision.json" | "delivered" | "sent-request" | "sent-decision";

const requestIdPattern = /^prq_[A-Za-z0-9_-]{1,64}$/;

/** A new request id: `prq_` and 20 random hex digits. */
export function newRequestId(): string {
  return `prq_${randomBytes(10).toString("hex")}`;
}

/** True for an id this daemon could have made (and that is safe in a file name). */
export function isRequestId(value: string): boolean {
  return requestIdPattern.test(value);
}

/** The file of request `requestId` in `dir`. */
export function requestFile(dir: string, requestId: string, file: RequestFile): string {
  return path.join(dir, `${requestId}.${file}`);
}

let tempCounter = 0;

/** Writes `text` to a temp file beside `file`, fsynced; its path. */
function writeTemp(file: string, text: string): string {
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/** Makes the directory's entries durable (a rename or link in it). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the file itself is synced.
  }
}

/** Writes `value` as JSON to `file` atomically and durably, replacing it. */
export function writeJsonFile(file: string, value: unknown): void {
  const temp = writeTemp(file, `${JSON.stringify(value, null, 2)}\n`);
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDir(path.dirname(file));
}

/**
 * Writes `value` as JSON to `file` unless it exists: true when this call
 * created it, false when another writer was first (the file is then left as
 * it is). Atomic across processes: the finished file is hard-linked into place.
 */
export function createJsonFileOnce(file: string, value: unknown): boolean {
  const temp = writeTemp(file, `${JSON.stringify(value, null, 2)}\n`);
  try {
    linkSync(temp, file);
    syncDir(path.dirname(file));
    return true;
  } catch (error) {
    if (isErrno(error, "EEXIST")) return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The JSON in `file`; undefined when it does not exist or is not JSON. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if (isErrno(error, "ENOENT") || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Marks `file` as done (a file holding when); idempotent. */
export function touchFile(file: string): void {
  writeJsonFile(file, { time: new Date().toISOString() });
}

/** The request ids with a request file in `dir`, oldest name first; none when `dir` is gone. */
export function listRequests(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(".request.json"))
      .map((name) => name.slice(0, -".request.json".length))
      .filter(isRequestId)
      .sort();
  } catch (error) {
    if (isErrno(error, "ENOENT")) return [];
    throw error;
  }
}

/** The request `requestId` in `dir`, when it is there and well formed. */
export function readAsk(dir: string, requestId: string): PermissionAsk | undefined {
  const value = readJsonFile(requestFile(dir, requestId, "request.json")) as Partial<PermissionAsk> | undefined;
  if (value === undefined || value.request_id !== requestId || typeof value.tool_name !== "string") return undefined;
  if (typeof value.create_time !== "string" || !Number.isFinite(Date.parse(value.create_time))) return undefined;
  return {
    request_id: requestId,
    tool_name: value.tool_name,
    input: typeof value.input === "object" && value.input !== null ? value.input : {},
    tool_use_id: typeof value.tool_use_id === "string" ? value.tool_use_id : "",
    reason: typeof value.reason === "string" ? value.reason : "",
    create_time: value.create_time,
  };
}

/** The decision on `requestId` in `dir`, once one was written. */
export function readVerdict(dir: string, requestId: string): PermissionVerdict | undefined {
  const value = readJsonFile(requestFile(dir, requestId, "decision.json")) as Partial<PermissionVerdict> | undefined;
  if (value === undefined || (value.decision !== "allow" && value.decision !== "deny")) return undefined;
  return {
    request_id: requestId,
    decision: value.decision,
    message: typeof value.message === "string" ? value.message : "",
    ...(typeof value.updated_input === "object" && value.updated_input !== null ? { updated_input: value.updated_input } : {}),
    remember: value.remember === true,
    decided_by: typeof value.decided_by === "string" ? value.decided_by : "",
    decide_time: typeof value.decide_time === "string" ? value.decide_time : new Date().toISOString(),
  };
}

/** The policy in `dir`'s `policy.json`; undefined when missing or malformed. */
export function readPolicy(dir: string): SessionPolicy | undefined {
  return parseSessionPolicy(readJsonFile(path.join(dir, "policy.json")));
}

/** When a request nobody answers expires: its create time plus the approval timeout. */
export function expireTimeOf(ask: PermissionAsk, policy: SessionPolicy): number {
  return Date.parse(ask.create_time) + policy.approval_timeout_ms;
}
