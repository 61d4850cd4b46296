import { createServer } from "node:net";
import { Code } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parsePostgresUrl } from "../../../../server/store/postgres/create-postgres-pool.js";
import { createPostgresRunner, maxAttempts } from "../../../../server/store/postgres/create-postgres-runner.js";
import { createPostgresStore, type PostgresStore } from "../../../../server/store/postgres/create-postgres-store.js";
import { pollUntil } from "../../../support/poll-until.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";
import { expectCode } from "../store-contract-fixtures.js";

const postgres = await findTestPostgres("PostgreSQL store: errors, retries and cancellation");

describe.skipIf(postgres.skip)("createPostgresRunner", () => {
  let db: TestSchema;
  /** A plain connection of the test's own, to hold locks and look at the server. */
  let admin: pg.Client;
  let store: PostgresStore;
  let blocker: pg.Client | undefined;

  beforeAll(async () => {
    db = await createTestSchema("runner");
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    store = createPostgresStore({ url: db.url, poolSize: 2, applicationName: "wsctl-runner-test" });
    await store.migrate();
    await store.createWorkspace("ws-1", 1);
    // A statement that fails with the given SQLSTATE its first `failures` times (a sequence is not rolled back).
    await admin.query(`
      CREATE SEQUENCE ${db.schema}.attempts;
      CREATE FUNCTION ${db.schema}.flaky(failures int, sqlstate text) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE n bigint := nextval('${db.schema}.attempts');
        BEGIN IF n <= failures THEN RAISE EXCEPTION 'clash' USING ERRCODE = sqlstate; END IF; RETURN n; END $$;`);
  });
  afterEach(async () => {
    await blocker?.end();
    blocker = undefined;
    await admin.query(`SELECT setval('${db.schema}.attempts', 1, false)`);
  });
  afterAll(async () => {
    await store?.close();
    await admin?.end();
    await db?.drop();
  });

  /** Holds an exclusive lock on `workspaces` in an open transaction, so reads of it wait. */
  async function lockWorkspaces(): Promise<void> {
    blocker = new pg.Client(parsePostgresUrl(db.url).clientConfig);
    await blocker.connect();
    await blocker.query("BEGIN; LOCK TABLE workspaces IN ACCESS EXCLUSIVE MODE");
  }

  /** Backends of the store waiting for a lock. */
  async function waiting(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'wsctl-runner-test' AND wait_event_type = 'Lock'",
    );
    return rows[0]!.n;
  }

  it.each(["40001", "40P01"])("retries SQLSTATE %s inside the store until it succeeds", async (sqlstate) => {
    const run = createPostgresRunner(store.pool);
    const text = "SELECT flaky($1, $2) AS n";
    const [row] = await run.rows<{ n: string }>("session", undefined, { text, values: [maxAttempts - 1, sqlstate] });
    expect(Number(row?.n)).toBe(maxAttempts);
  });

  it("gives up after a bounded number of attempts with unavailable", async () => {
    const run = createPostgresRunner(store.pool);
    const failing = run.rows("session", undefined, { text: "SELECT flaky(100, '40001')" });
    await expectCode(failing, Code.Unavailable, /database is busy, try again/);
    const { rows } = await admin.query<{ n: string }>(`SELECT last_value AS n FROM ${db.schema}.attempts`);
    expect(Number(rows[0]?.n)).toBe(maxAttempts);
  });

  it("runs a transaction's statements on one connection, and rolls them all back when one fails", async () => {
    const run = createPostgresRunner(store.pool);
    const insert = (id: string) => ({ text: "INSERT INTO workspaces (workspace_id, created_at) VALUES ($1, 1)", values: [id] });
    await run.transaction("workspace", undefined, async (query) => {
      await query(insert("tx-1"));
      await query(insert("tx-2"));
    });
    const failed = run.transaction("workspace", undefined, async (query) => {
      await query(insert("tx-3"));
      await query(insert("tx-1"));
    });
    await expectCode(failed, Code.AlreadyExists, /workspace already exists/);
    const ids = (await store.listWorkspaces()).map((w) => w.workspaceId);
    expect(ids).toEqual(["tx-1", "tx-2", "ws-1"]);
    await admin.query(`DELETE FROM ${db.schema}.workspaces WHERE workspace_id LIKE 'tx-%'`);
  });

  it("runs a whole transaction again after a serialization failure in it", async () => {
    const run = createPostgresRunner(store.pool);
    let runs = 0;
    const n = await run.transaction("session", undefined, async (query) => {
      runs++;
      const [row] = await query<{ n: string }>({ text: "SELECT flaky(2, '40001') AS n" });
      return Number(row?.n);
    });
    expect({ n, runs }).toEqual({ n: 3, runs: 3 });
  });

  it("rejects an already aborted call with canceled before any statement runs", async () => {
    const run = createPostgresRunner(store.pool);
    await expectCode(run.rows("session", AbortSignal.abort(), { text: "SELECT flaky(0, '40001')" }), Code.Canceled);
    const { rows } = await admin.query<{ called: boolean }>(`SELECT is_called AS called FROM ${db.schema}.attempts`);
    expect(rows[0]?.called).toBe(false);
  });

  it("cancels a running statement on the server when the signal aborts, and rejects at once", async () => {
    await lockWorkspaces();
    const controller = new AbortController();
    const read = expectCode(store.getWorkspace("ws-1", controller.signal), Code.Canceled, /request canceled/);
    await pollUntil(async () => (await waiting()) === 1, { what: "the read to wait for the lock" });
    const started = Date.now();
    controller.abort();
    await read;
    expect(Date.now() - started).toBeLessThan(500);
    // Canceled on the server while the lock is still held: nothing of ours waits any more.
    await pollUntil(async () => (await waiting()) === 0, { what: "the server to cancel the statement" });
    await blocker?.query("ROLLBACK");
    expect((await store.getWorkspace("ws-1"))?.workspaceId).toBe("ws-1");
  });

  it("rejects with canceled while waiting for a free connection", async () => {
    await lockWorkspaces();
    const stuck = [store.getWorkspace("ws-1"), store.getWorkspace("ws-1")]; // both connections of the pool
    await pollUntil(async () => (await waiting()) === 2, { what: "both connections to wait" });
    const controller = new AbortController();
    const queued = store.getMachine("m-1", controller.signal);
    controller.abort();
    await expectCode(queued, Code.Canceled);
    await blocker?.query("ROLLBACK");
    expect((await Promise.all(stuck)).map((w) => w?.workspaceId)).toEqual(["ws-1", "ws-1"]);
    expect(await store.getMachine("m-1")).toBeUndefined();
  });

  it("maps a connection the server terminates to unavailable, then carries on with a new one", async () => {
    await lockWorkspaces();
    // The expectation is attached at once: the rejection may come before the terminate call returns.
    const read = expectCode(store.getWorkspace("ws-1"), Code.Unavailable, /database is unavailable/);
    await pollUntil(async () => (await waiting()) === 1, { what: "the read to wait for the lock" });
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wsctl-runner-test' AND wait_event_type = 'Lock'",
    );
    await read;
    await blocker?.query("ROLLBACK");
    expect((await store.getWorkspace("ws-1"))?.workspaceId).toBe("ws-1");
  });

  it("maps a database nobody listens for to unavailable, without host or port in the message", async () => {
    const port = await closedPort();
    const offline = createPostgresStore({ url: `postgres://postgres:hunter2@127.0.0.1:${port}/test` });
    try {
      const err = await expectCode(offline.getWorkspace("ws-1"), Code.Unavailable, /database is unavailable/);
      expect(err.rawMessage).not.toMatch(/127\.0\.0\.1|hunter2|\d{4,}/);
      await expectCode(offline.migrate(), Code.Unavailable);
    } finally {
      await offline.close();
    }
  });
});

/** A local TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
