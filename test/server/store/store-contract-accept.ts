import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { Store } from "../../../server/store/store.js";
import { command, event, expectCode, session } from "./store-contract-fixtures.js";

/** `acceptLaunch`: an accepted launch's rows in one transaction. Fixture as in `describeStoreContract`. */
export function describeAcceptLaunch(getStore: () => Store): void {
  describe("acceptLaunch", () => {
    it("writes the session, the key bound to it, its accepted event and the command together", async () => {
      const store = getStore();
      expect(await store.claimIdempotencyKey({ tokenId: "t-1", key: "k", sessionId: "", requestHash: "h", now: 1 })).toBeUndefined();
      const s = session({ sessionId: "s-1" });
      const accepted = await store.acceptLaunch({ session: { create: s }, idempotencyKey: { tokenId: "t-1", key: "k" }, event: event("s-1"), command: command("c-1") });
      expect(accepted.session).toEqual(s);
      expect(accepted.event).toMatchObject({ sessionId: "s-1", sequence: 1, type: "accepted", state: "pending" });
      expect(await store.getSessionById("s-1")).toEqual(s);
      expect((await store.listSessionEvents("s-1", 0)).map((e) => e.type)).toEqual(["accepted"]);
      expect(await store.getCommand("c-1")).toMatchObject({ commandId: "c-1", sessionId: "s-1", kind: "launch", deadlineAt: 15_010 });
      expect((await store.listUnfinishedIdempotencyKeys(10, 10)).map((k) => k.sessionId)).toEqual(["s-1"]);
    });

    it("writes nothing when a part of it fails: a command id taken leaves no session and no event", async () => {
      const store = getStore();
      await store.acceptLaunch({ session: { create: session({ sessionId: "s-1" }) }, idempotencyKey: undefined, event: event("s-1"), command: command("c-1") });
      await expectCode(
        store.acceptLaunch({
          session: { create: session({ sessionId: "s-2" }) },
          idempotencyKey: undefined,
          event: event("s-2"),
          command: command("c-1", { sessionId: "s-2" }),
        }),
        Code.AlreadyExists,
      );
      expect(await store.getSessionById("s-2")).toBeUndefined();
      expect(await store.listSessionEvents("s-2", 0)).toEqual([]);
    });

    it("starts a reused session over by its patch, and refuses one that is gone with not_found, writing nothing", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-old", state: "exited", agentSessionId: "a-1", pid: 9 }));
      const accepted = await store.acceptLaunch({
        session: { reuse: "s-old", patch: { state: "pending", pid: 0, agentSessionId: "", updatedAt: 5000 } },
        idempotencyKey: undefined,
        event: event("s-old", { message: "reusing the session" }),
        command: command("c-1", { sessionId: "s-old" }),
      });
      expect(accepted.session).toMatchObject({ sessionId: "s-old", state: "pending", pid: 0, agentSessionId: "", updatedAt: 5000 });
      await expectCode(
        store.acceptLaunch({
          session: { reuse: "s-gone", patch: { state: "pending", updatedAt: 5000 } },
          idempotencyKey: undefined,
          event: event("s-gone"),
          command: command("c-2", { sessionId: "s-gone" }),
        }),
        Code.NotFound,
      );
      expect(await store.getCommand("c-2")).toBeUndefined();
    });
  });
}
