import { Code, ConnectError } from "@connectrpc/connect";
import type { TokenScope } from "../store/store.js";

/**
 * Every scope an API token can carry, in the order they are listed and stored:
 * - `sessions`: `WorkspaceSessionService` and listing machines (what every API
 *   token could do before scopes existed, and the default of a new one);
 * - `machines:register`: `MachineService.RegisterMachine`, nothing else;
 * - `admin`: everything in its workspaces, `TokenService` (creating, listing,
 *   revoking API tokens) and `WebhookService` included.
 */
export const tokenScopes: readonly TokenScope[] = ["sessions", "machines:register", "admin"];

/** Whether `value` names a scope. */
export function isTokenScope(value: string): value is TokenScope {
  return (tokenScopes as readonly string[]).includes(value);
}

/**
 * Scope names as given (flags, API requests) checked and put in `tokenScopes`
 * order, repeats once; `invalid_argument` naming the unknown one and the
 * allowed values. Empty stays empty (the store then gives `sessions`).
 */
export function parseTokenScopes(names: readonly string[]): TokenScope[] {
  for (const name of names) {
    if (!isTokenScope(name)) {
      throw new ConnectError(`unknown token scope ${JSON.stringify(name)}: use ${tokenScopes.join(", ")}`, Code.InvalidArgument);
    }
  }
  return tokenScopes.filter((scope) => names.includes(scope));
}

/** Whether a token with `granted` may do what `needed` allows: it holds `needed`, or `admin`. */
export function grantsScope(granted: ReadonlySet<TokenScope>, needed: TokenScope): boolean {
  return granted.has(needed) || granted.has("admin");
}
