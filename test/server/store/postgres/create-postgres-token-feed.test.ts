import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../../../server/admin/create-api-token.js";
import { createMachine } from "../../../../server/admin/create-machine.js";
import { createWorkspace } from "../../../../server/admin/create-workspace.js";
import { revokeToken } from "../../../../server/admin/revoke-token.js";
import { createTokenCache } from "../../../../server/auth/create-token-cache.js";
import { parsePostgresUrl } from "../../../../server/store/postgres/create-postgres-pool.js";
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from "../../../../server/store/postgres/create-postgres-store.js";
import { countStoreCalls } from "../../../support/counting-store.js";
import { pollUntil } from "../../../support/poll-until.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";

const postgres = await findTestPostgres("PostgreSQL token change feed");

describe.skipIf(postgres.skip)("createPostgresTokenFeed", { timeout: 20_000 }, () => {
  let db: TestSchema;
  let admin: pg.Client;
  /** The schema's token channel: the listen connections of this suite are the ones LISTENing on it. */
  let channel: string;
  const opened: PostgresStore[] = [];

  beforeAll(async () => {
    db = await createTestSchema("token_feed");
    const store = await open();
    await createWorkspace(store, "ws");
    await createMachine(store, { machineId: "m1", workspaceId: "ws" });
    admin = new pg.Client(parsePostgresUrl(db.url).clientConfig);
    await admin.connect();
    channel = (await admin.query<{ channel: string }>("SELECT token_change_channel() AS channel")).rows[0]!.channel;
  });
  afterEach(async () => {
    for (const store of opened.splice(1)) await store.close();
    await admin.query("DELETE FROM token_cache_listeners");
  });
  afterAll(async () => {
    for (const store of opened.splice(0)) await store.close();
    await admin?.end();
    await db?.drop();
  });

  async function open(tokenFeed?: PostgresStoreOptions["tokenFeed"]): Promise<PostgresStore> {
    const store = createPostgresStore({ url: db.url, ...(tokenFeed ? { tokenFeed } : {}) });
    opened.push(store);
    await store.migrate();
    return store;
  }

  /** A store whose feed listens, registered (as a replica's is once its token cache started). */
  async function listening(tokenFeed?: PostgresStoreOptions["tokenFeed"]): Promise<PostgresStore> {
    const store = await open(tokenFeed);
    await store.tokenChanges.start({ ttlMs: 2_000, log: () => {} });
    expect(store.tokenChanges.epoch()).toEqual(expect.any(Number));
    return store;
  }

  const token = () => createApiToken(opened[0]!, { workspaceIds: ["ws"] });
  const killListeners = () =>
    admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1", [`LISTEN ${channel}`]);

  it("has moved the epoch of every listening process by the time a revoke on another connection resolves", async () => {
    const [b, c] = [await listening(), await listening()];
    const issued = await token();
    const before = [b.tokenChanges.epoch(), c.tokenChanges.epoch()];
    // No wait between: the revoke resolves once both listeners confirmed they emptied their caches.
    await revokeToken(opened[0]!, issued.tokenId);
    const after = [b.tokenChanges.epoch(), c.tokenChanges.epoch()];
    expect(after[0]).toEqual(expect.any(Number));
    expect(after[1]).toEqual(expect.any(Number));
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    const { rows } = await admin.query<{ heard: string }>("SELECT heard FROM token_cache_listeners");
    const drawn = (await admin.query<{ epoch: string }>("SELECT epoch FROM token_change_state")).rows[0]!.epoch;
    expect(rows.map((r) => r.heard)).toEqual([drawn, drawn]);
  });

  it("hears a change written straight to the table, by psql or anyone", async () => {
    const b = await listening();
    const issued = await token();
    const before = b.tokenChanges.epoch();
    await admin.query("UPDATE tokens SET scopes = '{admin}' WHERE token_id = $1", [issued.tokenId]);
    await pollUntil(() => b.tokenChanges.epoch() !== before, { what: "the feed to hear the update" });
    // A write that changes nothing a lookup answers moves nothing.
    const now = b.tokenChanges.epoch();
    await admin.query("UPDATE tokens SET label = 'x' WHERE token_id = $1", [issued.tokenId]);
    await admin.query("UPDATE machines SET last_seen_at = 1");
    await admin.query("SELECT pg_notify($1, 'probe')", [channel]);
    await pollUntil(() => b.tokenChanges.epoch() !== now, { what: "the probe notification" });
    expect(b.tokenChanges.epoch()).toBe((now ?? 0) + 1);
  });

  it("waits for a live listener that has not confirmed, until its TTL has passed, and not for one whose lease ran out", async () => {
    const store = opened[0]!;
    await admin.query(
      "INSERT INTO token_cache_listeners (listener_id, heard, ttl_ms, alive_until) VALUES ('tcl_silent', 0, 400, clock_timestamp() + interval '1 minute')",
    );
    const [first, second] = [await token(), await token()];
    let started = performance.now();
    await revokeToken(store, first.tokenId);
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);

    await admin.query("UPDATE token_cache_listeners SET alive_until = clock_timestamp() - interval '1 second'");
    started = performance.now();
    await revokeToken(store, second.tokenId);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it("keeps no lookup from the moment its listen connection is lost, and leaves the listeners, until it is back", async () => {
    const real = await listening({ retryMs: 60_000 });
    const counted = countStoreCalls(real);
    const cache = createTokenCache({ store: counted.store, log: () => {} });
    expect(await cache.start()).toBe(true);
    const issued = await token();
    for (let i = 0; i < 3; i++) await cache.authenticate(`Bearer ${issued.token}`);
    expect(counted.count("findTokenByHash")).toBe(1);

    await killListeners();
    await pollUntil(() => real.tokenChanges.epoch() === undefined, { what: "the feed to notice its connection is gone" });
    for (let i = 0; i < 3; i++) await cache.authenticate(`Bearer ${issued.token}`);
    expect([counted.count("findTokenByHash"), cache.size]).toEqual([4, 0]);
    // Revokes stop waiting for it: it trusts nothing meanwhile.
    await pollUntil(async () => (await admin.query("SELECT 1 FROM token_cache_listeners")).rowCount === 0, {
      what: "the listener's row to be removed",
    });
  });

  it("registers again with a new epoch after its listen connection came back, so nothing cached before is trusted", async () => {
    const b = await listening({ retryMs: 20 });
    const before = b.tokenChanges.epoch();
    await killListeners();
    await pollUntil(() => b.tokenChanges.epoch() !== before && b.tokenChanges.epoch() !== undefined, { what: "the feed to be back" });
    const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM token_cache_listeners WHERE alive_until > clock_timestamp()");
    expect(rows[0]!.n).toBe(1);
  });

  it("stops trusting when its lease cannot be renewed in time, and trusts again only after registering anew", async () => {
    const b = await listening({ leaseMs: 300 });
    const before = b.tokenChanges.epoch();
    // Every connection of its pool busy: the renewals wait, the lease runs out here.
    const held = await Promise.all(Array.from({ length: 10 }, () => b.pool.connect()));
    try {
      await pollUntil(() => b.tokenChanges.epoch() === undefined, { what: "the lease to lapse" });
    } finally {
      for (const client of held) client.release();
    }
    await pollUntil(() => b.tokenChanges.epoch() !== undefined, { what: "the feed to register again" });
    expect(b.tokenChanges.epoch()).not.toBe(before);
  });
});
