import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * PostgreSQL for tests: the server named by `WSCTL_TEST_POSTGRES_URL`
 * (default `postgres://postgres@127.0.0.1:5432/test`), one fresh schema per
 * suite (a test file, an e2e stack), dropped at the end.
 *
 * ```ts
 * const postgres = await findTestPostgres("PostgreSQL store");
 * describe.skipIf(postgres.skip)("…", () => {
 *   let db: TestSchema;
 *   beforeAll(async () => { db = await createTestSchema("store"); }); // throws in CI when unreachable
 *   afterAll(() => db?.drop());
 * ```
 *
 * Unreachable on a developer's machine: the suite is skipped and the reason
 * printed. Under `CI=true` it is not skipped, and `createTestSchema` fails it.
 */
export const postgresTestUrl = process.env.WSCTL_TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test";

export interface TestPostgres {
  url: string;
  /** Why PostgreSQL cannot be used; undefined when it can. */
  missing: string | undefined;
  /** Whether to skip: PostgreSQL is missing and this is not CI. */
  skip: boolean;
}

let probe: Promise<string | undefined> | undefined;

/** Whether the test server answers (probed once per process, 2 s at most); prints `[skip] <suite>: …` when skipping. */
export async function findTestPostgres(suite: string): Promise<TestPostgres> {
  probe ??= reach(postgresTestUrl);
  const missing = await probe;
  const skip = missing !== undefined && process.env.CI !== "true";
  if (skip) console.warn(`[skip] ${suite}: ${missing}`);
  return { url: postgresTestUrl, missing, skip };
}

async function reach(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    const why = err instanceof Error ? err.message || err.name : String(err);
    const hint = process.env.CI === "true" ? ".ci/run must start it" : "start it or set WSCTL_TEST_POSTGRES_URL";
    return `PostgreSQL at ${redacted(url)} is unreachable (${why}); ${hint}`;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestSchema {
  /** The test server's URL with `?schema=` naming this schema (and `synchronous_commit=off`), for `createPostgresStore` / `openStore` / `--database`. */
  url: string;
  schema: string;
  /** Deletes every row of every table but `schema_migrations`, in one round trip: faster than a new schema per test. */
  empty(): Promise<void>;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * Creates a schema named `wsctl_test_<label>_<time>_<random>` (left absent with
 * `create: false`, for tests of what creates it), and returns its URL. Throws
 * when PostgreSQL is unreachable: under CI that fails the suite.
 */
export async function createTestSchema(label: string, options: { create?: boolean } = {}): Promise<TestSchema> {
  probe ??= reach(postgresTestUrl);
  const missing = await probe;
  if (missing !== undefined) throw new Error(missing);
  const schema = `wsctl_test_${label.toLowerCase().replace(/[^a-z0-9]+/g, "_")}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const quoted = pg.escapeIdentifier(schema);
  const admin = new pg.Pool({ connectionString: postgresTestUrl, max: 1, idleTimeoutMillis: 1_000 });
  admin.on("error", () => {});
  if (options.create !== false) await admin.query(`CREATE SCHEMA ${quoted}`);
  const url = new URL(postgresTestUrl);
  url.searchParams.set("schema", schema);
  // Tests do not outlive a crash of the server: commits need not wait for the disk (several times faster).
  url.searchParams.set("options", [url.searchParams.get("options"), "-c synchronous_commit=off"].filter(Boolean).join(" "));
  return {
    url: url.toString(),
    schema,
    async empty() {
      // DELETE, not TRUNCATE: on small tables it is ten times faster. A table still
      // referenced is retried in the next round, once its children are empty.
      await admin.query(
        `DO $$ DECLARE t text; left_over int; rounds int := 0; BEGIN
           LOOP
             left_over := 0;
             FOR t IN SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
                      WHERE schemaname = ${pg.escapeLiteral(schema)} AND tablename <> 'schema_migrations' LOOP
               BEGIN EXECUTE 'DELETE FROM ' || t;
               EXCEPTION WHEN foreign_key_violation THEN left_over := left_over + 1;
               END;
             END LOOP;
             rounds := rounds + 1;
             EXIT WHEN left_over = 0 OR rounds > 20;
           END LOOP;
         END $$`,
      );
    },
    async drop() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${quoted} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}
