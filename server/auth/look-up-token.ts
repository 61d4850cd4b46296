import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Store } from "../store/store.js";
import type { Principal } from "./principal.js";

/** The one message for every authentication failure; it never echoes the token. */
const unauthenticatedMessage = "missing or invalid bearer token";

/** `unauthenticated`, with the one message every authentication failure has. */
export function unauthenticated(): ConnectError {
  return new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
}

/**
 * The principal of the live token whose SHA-256 is `hashHex`, straight from
 * the store: the token (with its workspaces), and for a machine token its
 * machine. Throws `unauthenticated` for an unknown or revoked token, an API
 * token without workspaces and a machine token whose machine is gone.
 */
export async function lookUpToken(store: Store, hashHex: string, signal?: AbortSignal): Promise<Principal> {
  const record = await store.findTokenByHash(hashHex, signal);
  if (record === undefined || record.revokedAt !== undefined || !sameHash(record.hashHex, hashHex)) {
    throw unauthenticated();
  }
  if (record.kind === "api") {
    if (record.workspaceIds.length === 0) throw unauthenticated();
    return { kind: "api", tokenId: record.tokenId, workspaceIds: new Set(record.workspaceIds), scopes: new Set(record.scopes) };
  }
  if (record.machineId === undefined) throw unauthenticated();
  const machine = await store.getMachine(record.machineId, signal);
  // A token for a machine that no longer exists speaks for nobody.
  if (machine === undefined) throw unauthenticated();
  return { kind: "machine", tokenId: record.tokenId, machineId: machine.machineId, workspaceId: machine.workspaceId };
}

/** Constant-time comparison of two hex SHA-256 digests. */
function sameHash(storedHex: string, computedHex: string): boolean {
  const stored = Buffer.from(storedHex, "hex");
  const computed = Buffer.from(computedHex, "hex");
  return stored.length === 32 && computed.length === 32 && timingSafeEqual(stored, computed);
}
