import { Code, ConnectError } from "@connectrpc/connect";
import type { Store } from "../store/store.js";
import { parseTokenScopes } from "../auth/token-scopes.js";
import { labelProblem } from "../validation/validate-token-requests.js";
import { checkId } from "./check-id.js";

// What `wsctl admin create-token --scope` checks its flags against.
export { isTokenScope, tokenScopes } from "../auth/token-scopes.js";
import type { AdminWriteOptions } from "./admin-write-options.js";
import { type IssuedToken, issueToken } from "./issue-token.js";

export interface NewApiToken extends AdminWriteOptions {
  /** The workspaces the token may act on: at least one, each existing. Repeats count once. */
  workspaceIds: readonly string[];
  /** Scope names (see `server/auth/token-scopes.ts`). Default `["sessions"]`. */
  scopes?: readonly string[];
  /** What the token is for (up to 200 characters). Default "". */
  label?: string;
}

/**
 * Creates an API token (`wsa_…`) for callers of the workspace API. Throws
 * `invalid_argument` without workspaces or with a malformed id, and
 * `not_found` ("workspace w9 not found") for a workspace that does not exist;
 * `invalid_argument` too for an unknown scope or a bad label.
 */
export async function createApiToken(store: Store, init: NewApiToken): Promise<IssuedToken> {
  const workspaceIds = [...new Set(init.workspaceIds)];
  if (workspaceIds.length === 0) throw new ConnectError("an API token needs at least one workspace", Code.InvalidArgument);
  for (const workspaceId of workspaceIds) checkId("workspace", workspaceId);
  const scopes = parseTokenScopes(init.scopes ?? []);
  const label = init.label ?? "";
  const problem = labelProblem(label);
  if (problem !== undefined) throw new ConnectError(`label ${problem}`, Code.InvalidArgument);
  for (const workspaceId of workspaceIds) {
    if (!(await store.getWorkspace(workspaceId))) throw new ConnectError(`workspace ${workspaceId} not found`, Code.NotFound);
  }
  return issueToken(store, { kind: "api", workspaceIds, machineId: undefined, scopes, label, now: init.now ?? Date.now() });
}
