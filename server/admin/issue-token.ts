import { generateToken } from "../auth/api-token.js";
import type { Store, TokenKind } from "../store/store.js";

/** A token just created. The plain token is in no other place: show it once. */
export interface IssuedToken {
  /** The plain token (`wsa_…` or `wsm_…`), never stored. */
  token: string;
  /** Its public id (`tok_…`), to list and revoke it. */
  tokenId: string;
  kind: TokenKind;
  /** API token: the workspaces it may act on. Machine token: its machine's workspace. */
  workspaceIds: string[];
  /** Machine token: the machine it speaks for. */
  machineId: string | undefined;
}

/**
 * Generates a token of `kind` and stores its SHA-256 hash with its scope.
 * Checks nothing: `createApiToken` and `createMachineToken` check the scope first.
 */
export async function issueToken(
  store: Store,
  init: { kind: TokenKind; workspaceIds: readonly string[]; machineId: string | undefined; now: number },
): Promise<IssuedToken> {
  const { token, tokenId, hashHex } = generateToken(init.kind);
  await store.createToken({ tokenId, kind: init.kind, hashHex, workspaceIds: init.workspaceIds, machineId: init.machineId, now: init.now });
  return { token, tokenId, kind: init.kind, workspaceIds: [...init.workspaceIds], machineId: init.machineId };
}
