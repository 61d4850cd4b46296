import type {
  AnswerPermissionRequestRequest,
  ListPendingPermissionRequestsRequest,
} from "../../gen/workspaces/v1/permission_service_pb.js";
import { badRequest } from "../errors/bad-request.js";
import { checkId, checkPermissionDecision } from "./field-rules.js";
import { addViolation, checkRequired, checkUnlessEmpty, type ViolationList } from "./violation-list.js";
import { checkSessionKey } from "./validate-session-requests.js";

/** Cap on an answer's `message`, in UTF-8 bytes (4 KiB). */
const MAX_MESSAGE_BYTES = 4 * 1024;
/** Cap on `updated_input` encoded as JSON, in UTF-8 bytes (256 KiB). */
const MAX_UPDATED_INPUT_BYTES = 256 * 1024;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const REQUEST_ID_RULE = "must be 1-128 characters of letters, digits, '.', '_', ':' and '-', starting with a letter or digit (prq_...)";
const MESSAGE_RULE = `must be at most ${MAX_MESSAGE_BYTES} bytes as UTF-8 (4 KiB)`;
const UPDATED_INPUT_RULE = `must be at most ${MAX_UPDATED_INPUT_BYTES} bytes as JSON (256 KiB)`;
const ALLOW_ONLY = "is only for decision allow";

/** ListPendingPermissionRequests: `workspace_id`; `session_id` empty (every session) or an id. */
export function validateListPendingRequest(req: ListPendingPermissionRequestsRequest): void {
  let v: ViolationList;
  v = checkRequired(v, "workspace_id", req.workspaceId, checkId);
  v = checkUnlessEmpty(v, "session_id", req.sessionId, checkId);
  if (v !== undefined) throw badRequest(v);
}

/**
 * AnswerPermissionRequest: the session key, `request_id`, `decision` `allow`
 * or `deny`, `message` at most 4 KiB, `updated_input` (at most 256 KiB) and
 * `remember` only with `allow`.
 */
export function validateAnswerRequest(req: AnswerPermissionRequestRequest): void {
  let v = checkSessionKey(req);
  v = checkRequired(v, "request_id", req.requestId, (id) => (REQUEST_ID_PATTERN.test(id) ? undefined : REQUEST_ID_RULE));
  v = checkRequired(v, "decision", req.decision, checkPermissionDecision);
  if (req.message !== undefined && Buffer.byteLength(req.message, "utf8") > MAX_MESSAGE_BYTES) v = addViolation(v, "message", MESSAGE_RULE);
  if (req.updatedInput !== undefined) {
    if (req.decision === "deny") v = addViolation(v, "updated_input", ALLOW_ONLY);
    else if (Buffer.byteLength(JSON.stringify(req.updatedInput), "utf8") > MAX_UPDATED_INPUT_BYTES) {
      v = addViolation(v, "updated_input", UPDATED_INPUT_RULE);
    }
  }
  if (req.remember && req.decision === "deny") v = addViolation(v, "remember", ALLOW_ONLY);
  if (v !== undefined) throw badRequest(v);
}
