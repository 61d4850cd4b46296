import type { RegisterMachineRequest } from "../../gen/workspaces/v1/machine_service_pb.js";
import type {
  CreateApiTokenRequest,
  ListApiTokensRequest,
  RevokeApiTokenRequest,
} from "../../gen/workspaces/v1/token_service_pb.js";
import { isTokenScope, tokenScopes } from "../auth/token-scopes.js";
import { badRequest } from "../errors/bad-request.js";
import { checkId, type RuleSchema } from "./field-rules.js";
import { addViolation, checkRequired, type ViolationList } from "./violation-list.js";

/**
 * Validators of the registration and token requests: each checks every field
 * and throws `invalid_argument` with a `google.rpc.BadRequest` naming all the
 * bad ones.
 */

/** Longest label of a token. */
export const maxTokenLabelLength = 200;

const SCOPE_RULE = `must be one of ${tokenScopes.join(", ")}`;
const LABEL_RULE = `must be at most ${maxTokenLabelLength} characters with no control characters`;
const TOKEN_ID_RULE = "must be a token id: tok_ followed by 1-60 letters or digits";
const tokenIdPattern = /^tok_[A-Za-z0-9]{1,60}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const controlCharacters = /[\u0000-\u001f\u007f]/;

/** Whether `label` is a label a token may carry. */
export function labelProblem(label: string): string | undefined {
  return label.length > maxTokenLabelLength || controlCharacters.test(label) ? LABEL_RULE : undefined;
}

/** What `scopes` of CreateApiToken may hold. */
export const tokenScopeSchema: RuleSchema = { enum: tokenScopes };
/** What `label` of CreateApiToken may be (the same control characters `labelProblem` finds). */
export const tokenLabelSchema: RuleSchema = { pattern: "^[^\\u0000-\\u001f\\u007f]*$", maxLength: maxTokenLabelLength };
/** What `token_id` of RevokeApiToken may be. */
export const tokenIdSchema: RuleSchema = { pattern: tokenIdPattern.source };

function check(v: ViolationList): void {
  if (v !== undefined) throw badRequest(v);
}

/** RegisterMachine: `workspace_id` and `name`, both required ids. */
export function validateRegisterMachineRequest(req: RegisterMachineRequest): void {
  let v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  v = checkRequired(v, "name", req.name, checkId);
  check(v);
}

/** CreateApiToken: `workspace_id`, known `scopes`, a short `label`. */
export function validateCreateApiTokenRequest(req: CreateApiTokenRequest): void {
  let v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  req.scopes.forEach((scope, index) => {
    if (!isTokenScope(scope)) v = addViolation(v, `scopes[${index}]`, SCOPE_RULE);
  });
  const label = labelProblem(req.label);
  if (label !== undefined) v = addViolation(v, "label", label);
  check(v);
}

/** ListApiTokens: `workspace_id`. */
export function validateListApiTokensRequest(req: ListApiTokensRequest): void {
  check(checkRequired(undefined, "workspace_id", req.workspaceId, checkId));
}

/** RevokeApiToken: `workspace_id` and `token_id`. */
export function validateRevokeApiTokenRequest(req: RevokeApiTokenRequest): void {
  let v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  v = checkRequired(v, "token_id", req.tokenId, (value) => (tokenIdPattern.test(value) ? undefined : TOKEN_ID_RULE));
  check(v);
}
