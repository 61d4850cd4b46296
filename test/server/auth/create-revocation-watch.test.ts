import { Code, type ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { createRevocationWatch, type RevocationWatch } from "../../../server/auth/create-revocation-watch.js";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { Store } from "../../../server/store/store.js";
import { pollUntil } from "../../support/poll-until.js";

let store: Store;
let watch: RevocationWatch | undefined;
afterEach(async () => {
  watch?.close();
  await store?.close();
});

async function storeWithTokens(...ids: string[]): Promise<Store> {
  store = createSqliteStore({ path: ":memory:" });
  await store.migrate();
  await store.createWorkspace("ws", 1);
  for (const id of ids) await store.createToken({ tokenId: id, kind: "api", hashHex: id, workspaceIds: ["ws"], machineId: undefined, now: 1 });
  return store;
}

describe("createRevocationWatch", () => {
  it("aborts every hold of a revoked token with unauthenticated, and leaves the others", async () => {
    await storeWithTokens("t-1", "t-2");
    watch = createRevocationWatch({ store, intervalMs: 60_000 });
    const [a, b, other] = [watch.hold("t-1"), watch.hold("t-1"), watch.hold("t-2")];
    await watch.check();
    expect([a.signal.aborted, b.signal.aborted, other.signal.aborted]).toEqual([false, false, false]);
    await store.revokeToken("t-1", 5);
    await watch.check();
    expect([a.signal.aborted, b.signal.aborted, other.signal.aborted]).toEqual([true, true, false]);
    const reason = a.signal.reason as ConnectError;
    expect(reason.code).toBe(Code.Unauthenticated);
    expect(reason.rawMessage).toBe("the token was revoked");
  });

  it("checks on its interval, and forgets released holds", async () => {
    await storeWithTokens("t-1");
    let asked = 0;
    const listRevokedTokens = store.listRevokedTokens.bind(store);
    store.listRevokedTokens = (ids) => {
      asked++;
      return listRevokedTokens(ids);
    };
    watch = createRevocationWatch({ store, intervalMs: 5 });
    const hold = watch.hold("t-1");
    await store.revokeToken("t-1", 5);
    await pollUntil(() => hold.signal.aborted, { what: "the interval check" });
    const released = watch.hold("t-1");
    released.release();
    const before = asked;
    await watch.check();
    expect(asked).toBe(before);
  });

  it("asks the store nothing while the token change epoch stands still and no stream took a hold", async () => {
    await storeWithTokens("t-1", "t-2");
    let asked = 0;
    const listRevokedTokens = store.listRevokedTokens.bind(store);
    store.listRevokedTokens = (ids) => {
      asked++;
      return listRevokedTokens(ids);
    };
    let epoch: number | undefined = 1;
    watch = createRevocationWatch({ store, intervalMs: 60_000, epoch: () => epoch });
    const first = watch.hold("t-1");
    await watch.check();
    await watch.check();
    await watch.check();
    expect(asked).toBe(1);
    // A new stream's token is checked once, even with the epoch unchanged.
    const second = watch.hold("t-2");
    await watch.check();
    await watch.check();
    expect(asked).toBe(2);
    // A revocation moves the epoch: the next check asks, and ends the revoked token's streams.
    await store.revokeToken("t-2", 5);
    epoch = 2;
    await watch.check();
    expect(asked).toBe(3);
    expect([first.signal.aborted, second.signal.aborted]).toEqual([false, true]);
    // A store that cannot tell (its feed down): every check asks.
    epoch = undefined;
    await watch.check();
    await watch.check();
    expect(asked).toBe(5);
  });

  it("ends the stream of a token revoked between its authentication and its hold, with the epoch unchanged since", async () => {
    await storeWithTokens("t-1");
    const epoch = 7;
    watch = createRevocationWatch({ store, intervalMs: 60_000, epoch: () => epoch });
    const other = watch.hold("t-1");
    other.release();
    await store.revokeToken("t-1", 5);
    // The revoke's epoch was seen by a check that held nothing of this token; the hold comes after.
    await watch.check();
    const late = watch.hold("t-1");
    await watch.check();
    expect(late.signal.aborted).toBe(true);
  });
});
