import { generateToken } from "../auth/api-token.js";
import type { Store, TokenKind, TokenScope } from "../store/store.js";

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
  /** API token: what it may do (see `server/auth/token-scopes.ts`). Machine token: none. */
  scopes: TokenScope[];
  /** What the token is for. */
  label: string;
  /** When it was created, Unix milliseconds. */
  createdAt: number;
}

/**
 * Generates a token of `kind` and stores its SHA-256 hash with its scope.
 * Checks nothing: `createApiToken` and `createMachineToken` check the scope first.
 */
export async function issueToken(
  store: Store,
  init: {
    kind: TokenKind;
    workspaceIds: readonly string[];
    machineId: string | undefined;
    scopes?: readonly TokenScope[];
    label?: string;
    now: number;
  },
): Promise<IssuedToken> {
  const { token, tokenId, hashHex } = generateToken(init.kind);
  const record = await store.createToken({ ...init, tokenId, hashHex });
  const { kind, machineId, scopes, label, createdAt } = record;
  return { token, tokenId, kind, workspaceIds: [...init.workspaceIds], machineId, scopes, label, createdAt };
}
