import { createSqliteStore } from "./sqlite/create-sqlite-store.js";
import type { Store } from "./store.js";

/**
 * Opens the store named by `--database`: a `postgres://` or `postgresql://`
 * URL is PostgreSQL (not in this build yet: throws), anything else is a
 * SQLite file path (`:memory:` for a private in-memory database), created
 * with its directory when missing. Pending migrations are applied before the
 * store is returned.
 */
export async function openStore(database: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(database)) {
    throw new Error("PostgreSQL is not supported by this build yet; use a SQLite file path for --database");
  }
  const store = createSqliteStore({ path: database });
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
