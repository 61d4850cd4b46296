import type {
  ListSessionMessagesRequest,
  SendSessionMessageRequest,
} from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { badRequest } from "../errors/bad-request.js";
import { checkSessionKey } from "./validate-session-requests.js";
import type { RuleSchema } from "./field-rules.js";
import { addViolation } from "./violation-list.js";

/** Largest page of ListSessionMessages. */
export const MAX_MESSAGES_PAGE_SIZE = 1000;
/** Cap on a follow-up message, in UTF-8 bytes (64 KiB, as the initial prompt). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** What `page_size` of ListSessionMessages may be. */
export const messagesPageSizeSchema: RuleSchema = { minimum: 0, maximum: MAX_MESSAGES_PAGE_SIZE };
/**
 * What `text` of SendSessionMessage may be: something besides whitespace
 * (`\S` matches what `trim` keeps) and no NUL; the 64 KiB cap counts UTF-8
 * bytes, which no JSON Schema keyword does.
 */
export const messageTextSchema: RuleSchema = { pattern: "^(?=[\\s\\S]*\\S)[^\\u0000]*$", minLength: 1 };

/**
 * ListSessionMessages: `workspace_id`, `session_id`, `page_size` 0..1000, and
 * a `before_sequence` (when set) above `after_sequence`.
 */
export function validateListMessagesRequest(req: ListSessionMessagesRequest): void {
  let v = checkSessionKey(req);
  if (!Number.isInteger(req.pageSize) || req.pageSize < 0 || req.pageSize > MAX_MESSAGES_PAGE_SIZE) {
    v = addViolation(v, "page_size", `must be between 0 and ${MAX_MESSAGES_PAGE_SIZE} (0 means 100)`);
  }
  if (req.beforeSequence !== 0n && req.beforeSequence <= req.afterSequence) {
    v = addViolation(v, "before_sequence", "must be 0 (no bound) or greater than after_sequence");
  }
  if (v !== undefined) throw badRequest(v);
}

/** SendSessionMessage: `workspace_id`, `session_id`, and `text` of 1 byte to 64 KiB without NUL. */
export function validateSendMessageRequest(req: SendSessionMessageRequest): void {
  let v = checkSessionKey(req);
  const bytes = Buffer.byteLength(req.text, "utf8");
  if (req.text.trim() === "") v = addViolation(v, "text", "must not be empty");
  else if (bytes > MAX_MESSAGE_BYTES) v = addViolation(v, "text", `must be at most ${MAX_MESSAGE_BYTES} bytes as UTF-8 (64 KiB); got ${bytes}`);
  if (req.text.includes("\0")) v = addViolation(v, "text", "must not contain NUL characters");
  if (v !== undefined) throw badRequest(v);
}
