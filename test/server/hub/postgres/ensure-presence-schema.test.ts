import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePresenceSchema } from "../../../../server/hub/postgres/ensure-presence-schema.js";
import { parsePostgresUrl } from "../../../../server/store/postgres/create-postgres-pool.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";

const postgres = await findTestPostgres("PostgreSQL presence schema");

describe.skipIf(postgres.skip)("ensurePresenceSchema", () => {
  let db: TestSchema;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestSchema("presence");
    pool = new pg.Pool({ ...parsePostgresUrl(db.url).clientConfig, max: 6 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("creates the lease table once when several replicas start together, and is idempotent", async () => {
    await Promise.all(Array.from({ length: 5 }, () => ensurePresenceSchema(pool)));
    await ensurePresenceSchema(pool);
    const { rows } = await pool.query("SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'wsctl_machine_presence' ORDER BY ordinal_position", [db.schema]);
    expect(rows.map((r) => r.column_name)).toEqual(["machine_id", "replica_id", "info", "expires_at"]);
  });
});
