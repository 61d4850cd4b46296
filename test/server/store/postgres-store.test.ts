import type pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPostgresPool } from "../../../server/store/postgres/create-postgres-pool.js";
import { createPostgresStore, type PostgresStore } from "../../../server/store/postgres/create-postgres-store.js";
import { applyPostgresMigrations, postgresMigrations } from "../../../server/store/postgres/postgres-migrations.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../support/postgres-test-database.js";
import { command, event } from "./store-contract-fixtures.js";
import { describeStoreContract, session } from "./store-contract.js";

const postgres = await findTestPostgres("PostgreSQL store");

describe.skipIf(postgres.skip)("createPostgresStore", () => {
  let db: TestSchema;
  let shared: pg.Pool;
  const opened: PostgresStore[] = [];

  beforeAll(async () => {
    db = await createTestSchema("store");
    shared = createPostgresPool({ url: db.url }).pool;
    await createPostgresStore({ pool: shared, schema: db.schema }).migrate();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  afterAll(async () => {
    await shared?.end();
    await db?.drop();
  });

  /** A store on the shared pool over emptied tables: what each contract test starts from. */
  async function fresh(): Promise<PostgresStore> {
    await db.empty();
    return createPostgresStore({ pool: shared, schema: db.schema });
  }

  /** A store with a pool of its own on the test schema. */
  function own(poolSize?: number): PostgresStore {
    const store = createPostgresStore({ url: db.url, poolSize });
    opened.push(store);
    return store;
  }

  describeStoreContract("postgres (one schema, tables emptied per test)", fresh);

  it("keeps objects as jsonb: metadata, acknowledgements, ack payloads and idempotent outcomes", async () => {
    const store = await fresh();
    await store.createWorkspace("ws-1", 1);
    await store.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
    const ack = { status: "ok", payload: { pid: 7, nested: { list: [1, "two", null] } } };
    await store.createSession(session({ sessionId: "s-1", metadata: { team: "core", n: 2 }, acknowledgement: ack }));
    await store.appendSessionEvent(event("s-1", { type: "acknowledged", acknowledgement: ack }));
    await store.createCommand(command("c-1", { now: 1 }));
    await store.recordAck({ commandId: "c-1", machineId: "m-1", status: "ok", payload: { pid: 7 }, now: 2 });
    await store.claimIdempotencyKey({ tokenId: "t", key: "k", sessionId: "s-1", requestHash: "h", now: 1 });
    await store.completeIdempotencyKey("t", "k", { result: ack });

    // One subquery a table (a cross join of freshly emptied tables can be costed high enough for JIT).
    const { rows } = await shared.query<Record<string, unknown>>(`
      SELECT (SELECT jsonb_typeof(metadata) FROM sessions) AS metadata,
             (SELECT metadata->>'team' FROM sessions) AS team,
             (SELECT jsonb_typeof(acknowledgement) FROM sessions) AS session_ack,
             (SELECT acknowledgement#>>'{payload,nested,list,1}' FROM sessions) AS two,
             (SELECT jsonb_typeof(acknowledgement) FROM session_events) AS event_ack,
             (SELECT jsonb_typeof(ack_payload) FROM commands) AS ack_payload,
             (SELECT (ack_payload->>'pid')::int FROM commands) AS pid,
             (SELECT jsonb_typeof(outcome) FROM idempotency_keys) AS outcome,
             (SELECT outcome#>>'{result,status}' FROM idempotency_keys) AS status`);
    expect(rows).toEqual([
      {
        metadata: "object",
        team: "core",
        session_ack: "object",
        two: "two",
        event_ack: "object",
        ack_payload: "object",
        pid: 7,
        outcome: "object",
        status: "ok",
      },
    ]);
  });

  it("stores NUL characters and lone surrogates, which PostgreSQL refuses, as U+FFFD", async () => {
    const store = await fresh();
    await store.createWorkspace("ws-1", 1);
    await store.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
    const odd = "a\0b\uD800c\\u0000d";
    await store.createSession(session({ sessionId: "s-1", errorMessage: "x\0y", metadata: { [odd]: odd } }));
    expect(await store.getSession("ws-1", "s-1")).toMatchObject({
      errorMessage: "x\uFFFDy",
      metadata: { "a\uFFFDb\uFFFDc\\u0000d": "a\uFFFDb\uFFFDc\\u0000d" },
    });
  });

  it("appends events from two pools with unique, gapless sequences", async () => {
    const [a, b] = [own(4), own(4)];
    await db.empty();
    await a.createWorkspace("ws-1", 1);
    await a.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
    await a.createSession(session({ sessionId: "s-1" }));
    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendSessionEvent(event("s-1", { message: `${i}`, now: i }))),
    );
    const all = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(appended.map((e) => e.sequence).sort((x, y) => x - y)).toEqual(all);
    expect((await b.listSessionEvents("s-1", 0)).map((e) => e.sequence)).toEqual(all);
  });

  it("applies migrations once when several stores migrate one fresh schema at once", async () => {
    const fresh = await createTestSchema("migrate", { create: false });
    const stores = Array.from({ length: 5 }, () => createPostgresStore({ url: fresh.url, poolSize: 1 }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0]!.migrate();
      const { rows } = await stores[0]!.pool.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
      await stores[1]!.createWorkspace("ws-1", 1);
      expect((await stores[2]!.getWorkspace("ws-1"))?.createdAt).toBe(1);
    } finally {
      for (const s of stores) await s.close();
      await fresh.drop();
    }
  });

  it("gives the tokens stored before scopes existed the sessions scope (API) or none (machine)", async () => {
    const fresh = await createTestSchema("migrate_scopes", { create: false });
    const store = createPostgresStore({ url: fresh.url, poolSize: 1 });
    try {
      await applyPostgresMigrations(store.pool, store.schema, postgresMigrations.filter((m) => m.version < 4));
      await store.pool.query(`INSERT INTO workspaces VALUES ('ws-1', NULL, 1);
        INSERT INTO machines (machine_id, workspace_id, created_at) VALUES ('m-1', 'ws-1', 1);
        INSERT INTO tokens VALUES ('t-api', 'api', 'aa', NULL, 1, NULL), ('t-m', 'machine', 'bb', 'm-1', 1, NULL);
        INSERT INTO token_workspaces VALUES ('t-api', 'ws-1');`);
      await store.migrate();
      expect(await store.findTokenByHash("aa")).toMatchObject({ tokenId: "t-api", scopes: ["sessions"], label: "", workspaceIds: ["ws-1"] });
      expect(await store.findTokenByHash("bb")).toMatchObject({ tokenId: "t-m", scopes: [], machineId: "m-1" });
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  it("rolls a whole migration run back when one of its steps fails", async () => {
    const fresh = await createTestSchema("migrate_fail", { create: false });
    const store = createPostgresStore({ url: fresh.url, poolSize: 1 });
    try {
      const steps = [
        { version: 1, sql: "CREATE TABLE first (id int)" },
        { version: 2, sql: "CREATE TABLE broken (id no_such_type)" },
      ];
      await expect(applyPostgresMigrations(store.pool, store.schema, steps)).rejects.toThrow();
      const { rows } = await store.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema()",
      );
      expect(rows[0]?.n).toBe(0);
      await applyPostgresMigrations(store.pool, store.schema, steps.slice(0, 1));
      await applyPostgresMigrations(store.pool, store.schema, steps.slice(0, 1));
      const applied = await store.pool.query<{ version: number }>("SELECT version FROM schema_migrations");
      expect(applied.rows).toEqual([{ version: 1 }]);
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  it("keeps its tables in the URL's schema and never ends a pool it was given", async () => {
    const store = own();
    await store.migrate();
    const { rows } = await store.pool.query<{ schema: string }>("SELECT current_schema() AS schema");
    expect(rows[0]?.schema).toBe(db.schema);
    expect(store.schema).toBe(db.schema);
    const borrowed = createPostgresStore({ pool: shared, schema: db.schema });
    await borrowed.close();
    await borrowed.close();
    expect(shared.ended).toBe(false);
    await store.close();
    await store.close();
    expect(store.pool.ended).toBe(true);
  });
});
