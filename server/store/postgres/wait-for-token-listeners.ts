import type { PostgresRunner } from "./create-postgres-runner.js";
import { postgresStatements as sql } from "./postgres-statements.js";

/** Extra time past the longest TTL before a revoke stops waiting for a listener that never confirms. */
export const unconfirmedMarginMs = 100;

/**
 * Waits, after a token change that drew `epoch` was committed, until every
 * process whose token cache listens and whose lease runs has confirmed it
 * (emptied its cache first; see `createPostgresTokenFeed`), polling the
 * confirmations after 2, 4, 8 … ms (25 ms at most). A listener that does
 * not confirm (its listen connection silently dead) is waited for until its
 * TTL and `unconfirmedMarginMs` have passed since the commit: by then each
 * lookup it cached before the commit has expired. A failing poll ends the
 * wait: the change is committed, and the listeners still hear of it.
 * Resolves with how many listeners had not confirmed when it stopped (-1
 * when a poll failed).
 */
export async function waitForTokenListeners(run: PostgresRunner, epoch: number): Promise<number> {
  const committed = performance.now();
  for (let pause = 2; ; pause = Math.min(pause * 2, 25)) {
    let row: { pending: number; ttl_ms: number } | undefined;
    try {
      [row] = await run.rows<{ pending: number; ttl_ms: number }>("token", undefined, sql.unconfirmedTokenListeners(epoch));
    } catch {
      return -1;
    }
    if (row === undefined || row.pending === 0) return 0;
    const left = committed + row.ttl_ms + unconfirmedMarginMs - performance.now();
    if (left <= 0) return row.pending;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
