import type pg from "pg";

/** Advisory lock key of the backplane's schema step (any constant; the store's migrations use another). */
const schemaLockKey = 0x77_73_63_74_6c_62; // "wsctlb"

/**
 * Creates the backplane's one table if it is missing, under a transaction
 * advisory lock so replicas starting at once do it once: a machine's lease
 * (which replica holds its stream, what the daemon said, until when). It is
 * the backplane's own: the store never reads it.
 */
export async function ensurePresenceSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [schemaLockKey]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS wsctl_machine_presence (" +
        "machine_id TEXT NOT NULL PRIMARY KEY, replica_id TEXT NOT NULL, info JSONB NOT NULL, expires_at TIMESTAMPTZ NOT NULL)",
    );
    await client.query("CREATE INDEX IF NOT EXISTS wsctl_machine_presence_replica ON wsctl_machine_presence (replica_id)");
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
