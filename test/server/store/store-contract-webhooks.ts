import { describe, expect, it } from "vitest";
import type { NewWebhook, Store } from "../../../server/store/store.js";
import { event, session } from "./store-contract-fixtures.js";

/** Contract cases for webhooks: endpoints, the deliveries the event trigger writes, claims in order. */
export function describeWebhooks(getStore: () => Store): void {
  const hook = (webhookId: string, init: Partial<NewWebhook> = {}): NewWebhook => ({
    webhookId,
    workspaceId: "ws-1",
    url: `https://example.test/${webhookId}`,
    events: [],
    secret: `whsec_${webhookId}`,
    now: 10,
    ...init,
  });
  const claim = (store: Store, now: number, claimToken: string, limit = 10) =>
    store.claimWebhookDeliveries({ now, leaseUntil: now + 1000, limit, claimToken });
  const settle = (store: Store, deliveryId: string, claimToken: string, at: number, status: "delivered" | "pending" | "failed" = "delivered") =>
    store.recordWebhookAttempt({ deliveryId, claimToken, status, statusCode: status === "delivered" ? 204 : 500, error: status === "delivered" ? "" : "HTTP 500", attemptedAt: at, nextAttemptAt: at + 100 });

  describe("webhooks", () => {
    it("creates, lists oldest first, gets and deletes endpoints, never returning their secret", async () => {
      const store = getStore();
      const b = await store.createWebhook(hook("whk_b", { events: ["exited", "failed", "exited"], now: 20 }));
      expect(b).toEqual({ webhookId: "whk_b", workspaceId: "ws-1", url: "https://example.test/whk_b", events: ["exited", "failed"], createdAt: 20 });
      await store.createWebhook(hook("whk_a", { now: 10 }));
      await store.createWebhook(hook("whk_c", { workspaceId: "ws-2", now: 5 }));
      const listed = await store.listWebhooks("ws-1");
      expect(listed.map((w) => w.webhookId)).toEqual(["whk_a", "whk_b"]);
      expect(JSON.stringify(listed)).not.toContain("whsec_");
      expect(await store.getWebhook("ws-1", "whk_b")).toEqual(b);
      expect(await store.getWebhook("ws-2", "whk_b")).toBeUndefined();
      expect(await store.deleteWebhook("ws-2", "whk_b")).toBe(false);
      expect(await store.deleteWebhook("ws-1", "whk_b")).toBe(true);
      expect(await store.deleteWebhook("ws-1", "whk_b")).toBe(false);
      expect((await store.listWebhooks("ws-1")).map((w) => w.webhookId)).toEqual(["whk_a"]);
    });

    it("writes a delivery for each matching webhook of the workspace with the event, mapping accepted to launched", async () => {
      const store = getStore();
      await store.createWebhook(hook("whk_all"));
      await store.createWebhook(hook("whk_end", { events: ["exited", "failed"] }));
      await store.createWebhook(hook("whk_other", { workspaceId: "ws-2" }));
      await store.createSession(session({ sessionId: "s-1" }));
      const types = ["accepted", "dispatched", "acknowledged", "running", "unknown", "awaiting_approval", "running", "exited"];
      for (const [i, type] of types.entries()) {
        await store.appendSessionEvent(event("s-1", { type, state: type === "exited" ? "exited" : "running", now: 100 + i, ...(type === "exited" ? { exitCode: 3, message: "done" } : {}) }));
      }
      await store.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: [{ offset: 0, role: "assistant", kind: "text", text: "hi" }], now: 200 });
      const all = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_all", limit: 100 });
      expect(all.map((d) => [d.event.event, d.event.sequence])).toEqual([
        ["exited", 8],
        ["running", 7],
        ["awaiting_approval", 6],
        ["running", 4],
        ["launched", 1],
      ]);
      expect(all[0]).toMatchObject({
        webhookId: "whk_all",
        status: "pending",
        attempts: 0,
        lastStatusCode: 0,
        lastError: "",
        createdAt: 107,
        lastAttemptAt: undefined,
        nextAttemptAt: 107,
        event: { event: "exited", workspaceId: "ws-1", sessionId: "s-1", machineId: "m-1", sequence: 8, time: 107, state: "exited", exitCode: 3, message: "done" },
      });
      expect(all[0]!.deliveryId).toMatch(/^whd_[0-9a-f]{24}$/);
      expect(new Set(all.map((d) => d.deliveryId)).size).toBe(5);
      const end = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_end", limit: 100 });
      expect(end.map((d) => d.event.event)).toEqual(["exited"]);
      expect(await store.listWebhookDeliveries({ workspaceId: "ws-2", webhookId: "whk_other", limit: 100 })).toEqual([]);
      expect(await store.listWebhookDeliveries({ workspaceId: "ws-2", webhookId: "whk_all", limit: 100 })).toEqual([]);
      expect(await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_all", limit: 2 })).toHaveLength(2);
    });

    it("writes the deliveries of a session move with its events, and none when the move is refused", async () => {
      const store = getStore();
      await store.createWebhook(hook("whk_all"));
      await store.createSession(session({ sessionId: "s-1", state: "dispatched" }));
      const move = { sessionId: "s-1", from: "dispatched" as const, patch: { state: "running" as const, updatedAt: 5 }, events: [event("s-1", { type: "running", state: "running" })] };
      expect(await store.moveSession(move)).toBeDefined();
      expect(await store.moveSession(move)).toBeUndefined();
      const listed = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_all", limit: 10 });
      expect(listed.map((d) => d.event.event)).toEqual(["running"]);
    });

    it("claims the first pending delivery of each webhook and session, once, with its url and secret", async () => {
      const store = getStore();
      await store.createWebhook(hook("whk_a"));
      await store.createWebhook(hook("whk_b", { events: ["running"] }));
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createSession(session({ sessionId: "s-2" }));
      await store.appendSessionEvent(event("s-1", { type: "accepted", now: 100 }));
      await store.appendSessionEvent(event("s-1", { type: "running", state: "running", now: 101 }));
      await store.appendSessionEvent(event("s-2", { type: "accepted", now: 102 }));
      expect(await claim(store, 99, "c0")).toEqual([]);
      const first = await claim(store, 200, "c1");
      expect(first.map((d) => [d.webhookId, d.event.sessionId, d.event.event])).toEqual([
        ["whk_a", "s-1", "launched"],
        ["whk_b", "s-1", "running"],
        ["whk_a", "s-2", "launched"],
      ]);
      expect(first[0]).toMatchObject({ url: "https://example.test/whk_a", secret: "whsec_whk_a", claimToken: "c1" });
      // Claimed: no other claim takes them, nor the next of s-1 on whk_a before its first is settled.
      expect(await claim(store, 300, "c2")).toEqual([]);
      const launchedS1 = first[0]!;
      expect(await settle(store, launchedS1.deliveryId, "wrong", 300)).toBe(false);
      expect(await settle(store, launchedS1.deliveryId, "c1", 300)).toBe(true);
      expect(await settle(store, launchedS1.deliveryId, "c1", 300)).toBe(false);
      const next = await claim(store, 300, "c3");
      expect(next.map((d) => [d.webhookId, d.event.sessionId, d.event.event])).toEqual([["whk_a", "s-1", "running"]]);
      const [log] = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_a", limit: 10 }).then((l) => l.filter((d) => d.deliveryId === launchedS1.deliveryId));
      expect(log).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 204, lastError: "", lastAttemptAt: 300, nextAttemptAt: undefined });
    });

    it("retries a pending delivery when due, takes a lapsed or released claim again, and unblocks the next after a failure", async () => {
      const store = getStore();
      await store.createWebhook(hook("whk_a"));
      await store.createSession(session({ sessionId: "s-1" }));
      await store.appendSessionEvent(event("s-1", { type: "accepted", now: 100 }));
      await store.appendSessionEvent(event("s-1", { type: "failed", state: "failed", now: 101 }));
      const [d1] = await claim(store, 200, "c1");
      expect(await settle(store, d1!.deliveryId, "c1", 250, "pending")).toBe(true);
      expect(await claim(store, 349, "c2")).toEqual([]);
      const [again] = await claim(store, 350, "c3");
      expect(again).toMatchObject({ deliveryId: d1!.deliveryId, attempts: 1, lastStatusCode: 500, lastError: "HTTP 500", lastAttemptAt: 250 });
      // The claim lapses after its lease (1000 ms): another claim takes it.
      expect(await claim(store, 1349, "c4")).toEqual([]);
      expect((await claim(store, 1350, "c5")).map((d) => d.deliveryId)).toEqual([d1!.deliveryId]);
      await store.releaseWebhookClaim(d1!.deliveryId, "c5");
      const [released] = await claim(store, 1351, "c6");
      expect(released?.deliveryId).toBe(d1!.deliveryId);
      expect(await settle(store, d1!.deliveryId, "c5", 1352, "failed")).toBe(false);
      expect(await settle(store, d1!.deliveryId, "c6", 1352, "failed")).toBe(true);
      const [d2] = await claim(store, 1400, "c7");
      expect(d2?.event.event).toBe("failed");
      const log = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_a", limit: 10 });
      expect(log.map((d) => [d.event.event, d.status, d.attempts])).toEqual([["failed", "pending", 0], ["launched", "failed", 2]]);
    });

    it("drops the deliveries of a deleted webhook", async () => {
      const store = getStore();
      await store.createWebhook(hook("whk_a"));
      await store.createSession(session({ sessionId: "s-1" }));
      await store.appendSessionEvent(event("s-1", { type: "accepted", now: 100 }));
      expect(await store.deleteWebhook("ws-1", "whk_a")).toBe(true);
      expect(await claim(store, 200, "c1")).toEqual([]);
      await store.createWebhook(hook("whk_a"));
      expect(await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId: "whk_a", limit: 10 })).toEqual([]);
    });
  });
}
