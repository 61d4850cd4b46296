import { createContextKey } from "@connectrpc/connect";
import type { TokenScope } from "../store/store.js";

/**
 * Who is calling, as resolved from the bearer token by the auth interceptor.
 * An API token acts on its workspaces, doing what its scopes allow (see
 * `token-scopes.ts`); a machine token speaks for one machine.
 */
export type Principal =
  | { kind: "api"; tokenId: string; workspaceIds: ReadonlySet<string>; scopes: ReadonlySet<TokenScope> }
  | { kind: "machine"; tokenId: string; machineId: string; workspaceId: string };

/** Context key under which the auth interceptor stores the principal. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "principal" });
