import type { NewToken, TokenScope } from "./store.js";

/**
 * The scopes a new token is stored with: an API token's own, `["sessions"]`
 * when it names none (what every API token could do before scopes existed);
 * a machine token none. Both engines store exactly this.
 */
export function storedScopes(init: Pick<NewToken, "kind" | "scopes">): TokenScope[] {
  if (init.kind !== "api") return [];
  return init.scopes === undefined || init.scopes.length === 0 ? ["sessions"] : [...new Set(init.scopes)];
}
