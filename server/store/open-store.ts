import { createPostgresStore } from "./postgres/create-postgres-store.js";
import { createSqliteStore } from "./sqlite/create-sqlite-store.js";
import type { Store } from "./store.js";

/**
 * Opens the store named by `--database` (or `WSCTL_DATABASE`):
 *
 * - a `postgres://` or `postgresql://` URL is PostgreSQL, on a pool of its
 *   own: `?pool_size=N` connections at most (default 10), tables in
 *   `?schema=NAME` (created when missing; default the server's search_path),
 *   anything else libpq-style (`sslmode`, `application_name`, `options`, …)
 *   passed to `pg` (see `postgres/create-postgres-pool.ts`);
 * - anything else is a SQLite file path (`:memory:` for a private in-memory
 *   database), created with its directory when missing.
 *
 * Pending migrations are applied before the store is returned (on
 * PostgreSQL under an advisory lock, so replicas may start together); when
 * that fails the store is closed and the error thrown.
 */
export async function openStore(database: string): Promise<Store> {
  const store = /^postgres(ql)?:\/\//i.test(database)
    ? createPostgresStore({ url: database })
    : createSqliteStore({ path: database });
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
