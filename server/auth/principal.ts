import { createContextKey } from "@connectrpc/connect";

/**
 * Who is calling, as resolved from the bearer token by the auth interceptor.
 * An API token acts on its workspaces; a machine token speaks for one machine.
 */
export type Principal =
  | { kind: "api"; tokenId: string; workspaceIds: ReadonlySet<string> }
  | { kind: "machine"; tokenId: string; machineId: string; workspaceId: string };

/** Context key under which the auth interceptor stores the principal. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "principal" });
