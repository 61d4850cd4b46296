import type pg from "pg";
import type { Store } from "../store.js";
import { storedScopes } from "../stored-scopes.js";
import type { PostgresRunner, Statement } from "./create-postgres-runner.js";
import { type TokenRow, tokenFromRow } from "./postgres-rows.js";
import { postgresStatements as sql } from "./postgres-statements.js";

type TokenMethods = "createToken" | "findTokenByHash" | "getToken" | "revokeToken" | "revokeMachineTokens" | "listTokens" | "listRevokedTokens";

/**
 * The PostgreSQL store's token methods. A token and its workspace links are
 * one statement (data-modifying CTEs); scopes are a `text[]` column. A
 * revoke is a transaction that also reads the token change epoch its
 * trigger drew (`postgres-token-change-schema.ts`); once committed,
 * `changed(epoch)` runs before it resolves (the store's: this process's
 * cache emptied, then every replica's confirmed).
 */
export function postgresTokenMethods(run: PostgresRunner, changed: (epoch: number) => Promise<void>): Pick<Store, TokenMethods> {
  /** Runs `revoke` with the epoch it drew, when it revoked anything; what it revoked. */
  async function revoking<R>(statement: Statement): Promise<R[]> {
    const { rows, epoch } = await run.transaction("token", undefined, async (query) => {
      const revoked = await query<R & pg.QueryResultRow>(statement);
      if (revoked.length === 0) return { rows: revoked, epoch: undefined };
      const [drawn] = await query<{ epoch: string }>(sql.drawnTokenChange());
      return { rows: revoked, epoch: Number(drawn!.epoch) };
    });
    if (epoch !== undefined) await changed(epoch);
    return rows;
  }

  return {
    async createToken(init) {
      const workspaceIds = [...init.workspaceIds];
      const statement = sql.createToken(init.tokenId, init.kind, init.hashHex, init.machineId ?? null, init.now, workspaceIds, storedScopes(init), init.label ?? "");
      const [row] = await run.rows<TokenRow>("token", undefined, statement);
      return tokenFromRow(row!);
    },

    async findTokenByHash(hashHex, signal) {
      const [row] = await run.rows<TokenRow>("token", signal, sql.findLiveToken(hashHex));
      return row && tokenFromRow(row);
    },

    async getToken(tokenId, signal) {
      const [row] = await run.rows<TokenRow>("token", signal, sql.getToken(tokenId));
      return row && tokenFromRow(row);
    },

    async revokeToken(tokenId, now) {
      return (await revoking(sql.revokeToken(now, tokenId))).length > 0;
    },

    async revokeMachineTokens(machineId, keepTokenId, now) {
      const rows = await revoking<{ token_id: string }>(sql.revokeMachineTokens(now, machineId, keepTokenId));
      return rows.map((r) => r.token_id).sort();
    },

    async listRevokedTokens(tokenIds) {
      if (tokenIds.length === 0) return [];
      const rows = await run.rows<{ token_id: string }>("token", undefined, sql.listRevokedTokens([...tokenIds]));
      return rows.map((r) => r.token_id);
    },

    async listTokens(workspaceId, signal) {
      const statement = workspaceId === undefined ? sql.listTokens() : sql.listWorkspaceTokens(workspaceId);
      return (await run.rows<TokenRow>("token", signal, statement)).map(tokenFromRow);
    },
  };
}
