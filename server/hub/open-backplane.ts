import { createHash } from "node:crypto";
import { parsePostgresUrl } from "../store/postgres/create-postgres-pool.js";
import type { Backplane } from "./backplane.js";
import { createLocalBackplane } from "./create-local-backplane.js";
import { createPostgresBackplane } from "./postgres/create-postgres-backplane.js";

export interface OpenBackplaneOptions {
  /** Lease of a machine's stream on PostgreSQL (see `createPostgresBackplane`). Default 6 000 ms. */
  leaseMs?: number;
  log?: (message: string, error?: unknown) => void;
}

/**
 * The backplane for the store named by `--database`: on a `postgres://` URL,
 * PostgreSQL leases and LISTEN/NOTIFY on the same database (several replicas
 * may serve it; channels are named after its `?schema=`, so deployments in
 * other schemas of one database do not hear each other); on SQLite, the one
 * process's own. Started before it is returned; a PostgreSQL backplane that
 * cannot start is closed again and the error thrown.
 */
export async function openBackplane(database: string, options: OpenBackplaneOptions = {}): Promise<Backplane> {
  if (!/^postgres(ql)?:\/\//i.test(database)) return createLocalBackplane();
  const { clientConfig, schema } = parsePostgresUrl(database);
  const backplane = createPostgresBackplane({
    connection: clientConfig,
    channelPrefix: schema ? `wsctl_${createHash("sha256").update(schema).digest("hex").slice(0, 16)}` : "wsctl",
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    await backplane.start();
  } catch (error) {
    await backplane.close().catch(() => {});
    throw error;
  }
  return backplane;
}
