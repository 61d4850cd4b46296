import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

// The admin door hands its callers the store's types, so they never import
// server/store themselves.
export type { MachineRecord, Store, TokenKind, TokenRecord, WorkspacePermissions, WorkspaceRecord } from "../store/store.js";

/**
 * Opens the database named by `--database` for the admin functions of this
 * folder, exactly as `startServer` opens it: a SQLite file path (created with
 * its directory when missing, `:memory:` for a private in-memory database) or a
 * `postgres://` URL, migrated before it is returned. The caller closes it.
 */
export function openAdminStore(database: string): Promise<Store> {
  return openStore(database);
}
