import type { Store, TokenRecord } from "../store.js";
import { type TokenRow, tokenFromRow } from "./sqlite-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";
import type { prepareSqliteTransactions } from "./sqlite-transactions.js";

/** Runs a store call with the engine's error mapping (the store's own `run`). */
type Run = <T>(noun: string, signal: AbortSignal | undefined, fn: (s: SqliteStatements) => T) => T;

type TokenMethods = "createToken" | "findTokenByHash" | "getToken" | "revokeToken" | "revokeMachineTokens" | "listTokens" | "listRevokedTokens";

/**
 * The SQLite store's token methods. A token row and its workspace links are
 * written in one transaction; scopes are stored as space-separated names.
 * A revoke that revoked something calls `changed` (the token feed's) before
 * it resolves, so no cached lookup of this process outlives it.
 */
export function sqliteTokenMethods(run: Run, tx: ReturnType<typeof prepareSqliteTransactions>, changed: () => void): Pick<Store, TokenMethods> {
  const withWorkspaces = (s: SqliteStatements, row: TokenRow): TokenRecord => tokenFromRow(row, s.tokenWorkspaces.all(row.token_id));

  return {
    async createToken(init) {
      return run("token", undefined, (s) => withWorkspaces(s, tx.createToken.immediate(init)));
    },

    async findTokenByHash(hashHex, signal) {
      return run("token", signal, (s) => {
        const row = s.findLiveToken.get(hashHex);
        return row && withWorkspaces(s, row);
      });
    },

    async getToken(tokenId, signal) {
      return run("token", signal, (s) => {
        const row = s.getTokenById.get(tokenId);
        return row && withWorkspaces(s, row);
      });
    },

    async revokeToken(tokenId, now) {
      const revoked = run("token", undefined, (s) => s.revokeToken.run(now, tokenId).changes > 0);
      if (revoked) changed();
      return revoked;
    },

    async revokeMachineTokens(machineId, keepTokenId, now) {
      const revoked = run("token", undefined, (s) => s.revokeMachineTokens.all(now, machineId, keepTokenId).sort());
      if (revoked.length > 0) changed();
      return revoked;
    },

    async listTokens(workspaceId, signal) {
      return run("token", signal, (s) => {
        if (workspaceId !== undefined) return s.listWorkspaceTokens.all(workspaceId).map((row) => withWorkspaces(s, row));
        const byToken = new Map<string, string[]>();
        for (const link of s.allTokenWorkspaces.all()) {
          const list = byToken.get(link.token_id);
          if (list === undefined) byToken.set(link.token_id, [link.workspace_id]);
          else list.push(link.workspace_id);
        }
        return s.listTokens.all().map((row) => tokenFromRow(row, byToken.get(row.token_id) ?? []));
      });
    },

    async listRevokedTokens(tokenIds) {
      return tokenIds.length === 0 ? [] : run("token", undefined, (s) => s.listRevokedTokens.all(JSON.stringify(tokenIds)));
    },
  };
}
