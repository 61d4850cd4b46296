import type { Store } from "../store.js";
import { storedScopes } from "../stored-scopes.js";
import type { PostgresRunner } from "./create-postgres-runner.js";
import { type TokenRow, tokenFromRow } from "./postgres-rows.js";
import { postgresStatements as sql } from "./postgres-statements.js";

type TokenMethods = "createToken" | "findTokenByHash" | "getToken" | "revokeToken" | "revokeMachineTokens" | "listTokens" | "listRevokedTokens";

/**
 * The PostgreSQL store's token methods. A token and its workspace links are
 * one statement (data-modifying CTEs); scopes are a `text[]` column.
 */
export function postgresTokenMethods(run: PostgresRunner): Pick<Store, TokenMethods> {
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
      return (await run.rows("token", undefined, sql.revokeToken(now, tokenId))).length > 0;
    },

    async revokeMachineTokens(machineId, keepTokenId, now) {
      const rows = await run.rows<{ token_id: string }>("token", undefined, sql.revokeMachineTokens(now, machineId, keepTokenId));
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
