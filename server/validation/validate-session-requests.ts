import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import type { ListMachinesRequest } from "../../gen/workspaces/v1/machine_service_pb.js";
import type {
  GetWorkspaceSessionRequest,
  ListWorkspaceSessionsRequest,
  StopWorkspaceSessionRequest,
  WatchWorkspaceSessionRequest,
  WatchWorkspaceSessionsRequest,
} from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { badRequest } from "../errors/bad-request.js";
import { checkId, type RuleSchema } from "./field-rules.js";
import { addViolation, checkRequired, checkUnlessEmpty, type ViolationList } from "./violation-list.js";

/**
 * Validators for the session and machine requests other than the launch. Each
 * checks every field and throws `invalid_argument` with a `google.rpc.BadRequest`
 * listing all violations; a valid request returns normally. Defaults (page size
 * 0 -> 50, grace 0 -> 10 s) are the services' to apply.
 */

const MAX_PAGE_SIZE = 500;
const MAX_PAGE_TOKEN_LENGTH = 512;
const MAX_GRACE_SECONDS = 300;

/** What `page_size` of ListWorkspaceSessions may be. */
export const sessionsPageSizeSchema: RuleSchema = { minimum: 0, maximum: MAX_PAGE_SIZE };
/** What `page_token` of ListWorkspaceSessions may be. */
export const pageTokenSchema: RuleSchema = { maxLength: MAX_PAGE_TOKEN_LENGTH };
/** What `grace_seconds` of StopWorkspaceSession may be. */
export const graceSecondsSchema: RuleSchema = { minimum: 0, maximum: MAX_GRACE_SECONDS };

const PAGE_SIZE_RULE = `must be between 0 and ${MAX_PAGE_SIZE} (0 means 50)`;
const PAGE_TOKEN_RULE = `must be at most ${MAX_PAGE_TOKEN_LENGTH} characters: send the next_page_token of the previous page`;
const STATE_RULE = "must be a SessionState value, or unset for every state";
const GRACE_RULE = `must be between 0 and ${MAX_GRACE_SECONDS} seconds (0 means 10)`;

/** `workspace_id` and `session_id`, both required ids. */
export function checkSessionKey(req: { workspaceId: string; sessionId: string }): ViolationList {
  let v: ViolationList;
  v = checkRequired(v, "workspace_id", req.workspaceId, checkId);
  v = checkRequired(v, "session_id", req.sessionId, checkId);
  return v;
}

/** GetWorkspaceSession: `workspace_id` and `session_id`. */
export function validateGetSessionRequest(req: GetWorkspaceSessionRequest): void {
  const v = checkSessionKey(req);
  if (v !== undefined) throw badRequest(v);
}

/** WatchWorkspaceSession: `workspace_id` and `session_id` (any `after_sequence`). */
export function validateWatchSessionRequest(req: WatchWorkspaceSessionRequest): void {
  const v = checkSessionKey(req);
  if (v !== undefined) throw badRequest(v);
}

/** WatchWorkspaceSessions: `workspace_id`. */
export function validateWatchSessionsRequest(req: WatchWorkspaceSessionsRequest): void {
  const v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  if (v !== undefined) throw badRequest(v);
}

/** StopWorkspaceSession: `workspace_id`, `session_id`, `grace_seconds` 0..300. */
export function validateStopSessionRequest(req: StopWorkspaceSessionRequest): void {
  let v = checkSessionKey(req);
  if (!isIntBetween(req.graceSeconds, 0, MAX_GRACE_SECONDS)) v = addViolation(v, "grace_seconds", GRACE_RULE);
  if (v !== undefined) throw badRequest(v);
}

/**
 * ListWorkspaceSessions: `workspace_id`; `machine_id` empty or an id; `state`
 * a known value; `page_size` 0..500; `page_token` opaque, at most 512 chars.
 */
export function validateListSessionsRequest(req: ListWorkspaceSessionsRequest): void {
  let v: ViolationList;
  v = checkRequired(v, "workspace_id", req.workspaceId, checkId);
  v = checkUnlessEmpty(v, "machine_id", req.machineId, checkId);
  // Binary requests can carry enum numbers this server does not know.
  if (typeof SessionState[req.state] !== "string") v = addViolation(v, "state", STATE_RULE);
  if (!isIntBetween(req.pageSize, 0, MAX_PAGE_SIZE)) v = addViolation(v, "page_size", PAGE_SIZE_RULE);
  if (req.pageToken.length > MAX_PAGE_TOKEN_LENGTH) v = addViolation(v, "page_token", PAGE_TOKEN_RULE);
  if (v !== undefined) throw badRequest(v);
}

/** GetMachine: `machine_id` (or any other request's required machine id). */
export function validateMachineId(machineId: string): void {
  const v = checkRequired(undefined, "machine_id", machineId, checkId);
  if (v !== undefined) throw badRequest(v);
}

/** ListMachines: `workspace_id` empty (every workspace the token sees) or an id. */
export function validateListMachinesRequest(req: ListMachinesRequest): void {
  const v = checkUnlessEmpty(undefined, "workspace_id", req.workspaceId, checkId);
  if (v !== undefined) throw badRequest(v);
}

function isIntBetween(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
