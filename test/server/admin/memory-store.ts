import { afterEach, beforeEach } from "vitest";
import { openAdminStore, type Store } from "../../../server/admin/open-admin-store.js";

/** A fresh in-memory store for each test of the calling file; returns its getter. */
export function useMemoryStore(): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await openAdminStore(":memory:");
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error("the store is open only inside a test");
    return store;
  };
}
