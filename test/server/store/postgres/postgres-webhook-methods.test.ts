import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "../../../../server/store/postgres/create-postgres-store.js";
import { createWebhook } from "../../../../server/webhooks/create-webhook.js";
import { createWebhookDispatcher } from "../../../../server/webhooks/create-webhook-dispatcher.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";
import { pollUntil } from "../../../support/poll-until.js";
import { startWebhookReceiver } from "../../../support/webhook-receiver.js";
import { event, session } from "../store-contract-fixtures.js";

const postgres = await findTestPostgres("PostgreSQL webhook claims");

describe.skipIf(postgres.skip)("postgresWebhookMethods", () => {
  let db: TestSchema;
  const stores: PostgresStore[] = [];

  beforeAll(async () => {
    db = await createTestSchema("webhooks");
    for (let i = 0; i < 2; i++) stores.push(createPostgresStore({ url: db.url, poolSize: 4 }));
    await stores[0]!.migrate();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await db?.drop();
  });

  /** Empty tables but workspace ws-1 and its machine m-1. */
  async function seed(): Promise<void> {
    await db.empty();
    await stores[0]!.createWorkspace("ws-1", 1);
    await stores[0]!.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
  }

  it("never claims one delivery twice from two pools claiming at once", async () => {
    await seed();
    await stores[0]!.createWebhook({ webhookId: "whk_a", workspaceId: "ws-1", url: "https://x.example/", events: [], secret: "s", now: 1 });
    for (let s = 0; s < 40; s++) {
      await stores[0]!.createSession(session({ sessionId: `s-${s}` }));
      await stores[0]!.appendSessionEvent(event(`s-${s}`, { type: "accepted", now: 10 }));
    }
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stores[i % 2]!.claimWebhookDeliveries({ now: 100, leaseUntil: 10_000, limit: 7, claimToken: `c${i}` })),
    );
    const ids = claims.flat().map((d) => d.deliveryId);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it("delivers every event once and in order per session with two replicas' dispatchers, both of them working", async () => {
    const types = ["accepted", "running", "awaiting_approval", "running", "exited"];
    await seed();
    const receiver = await startWebhookReceiver();
    receiver.delayMs = 15;
    const created = await createWebhook(stores[0]!, { workspaceId: "ws-1", url: receiver.url, events: [] });
    receiver.secret = created.secret;
    const attemptsBy = [0, 0];
    const dispatchers = stores.map((store, replica) =>
      createWebhookDispatcher({ store, log: () => {}, concurrency: 2, pollMs: 20, onAttempt: () => attemptsBy[replica]!++ }),
    );
    for (const d of dispatchers) d.start();
    try {
      for (let s = 0; s < 6; s++) await stores[0]!.createSession(session({ sessionId: `s-${s}` }));
      for (const type of types) for (let s = 0; s < 6; s++) await stores[s % 2]!.appendSessionEvent(event(`s-${s}`, { type, now: Date.now() }));
      await pollUntil(() => receiver.received.length >= 30, { what: "30 deliveries", timeoutMs: 15_000 });
      // Every attempt recorded: a delivery claimed twice would have been sent twice by now.
      const webhookId = created.webhook.webhookId;
      await pollUntil(async () => {
        const log = await stores[1]!.listWebhookDeliveries({ workspaceId: "ws-1", webhookId, limit: 100 });
        return log.length === 30 && log.every((d) => d.status === "delivered");
      });
      expect(receiver.received).toHaveLength(30);
      expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(30);
      for (let s = 0; s < 6; s++) {
        const got = receiver.received.filter((r) => r.json.session_id === `s-${s}`).map((r) => r.json.event);
        expect(got).toEqual(["launched", "running", "awaiting_approval", "running", "exited"]);
      }
      expect(receiver.received.every((r) => r.problem === undefined)).toBe(true);
      expect(attemptsBy[0]).toBeGreaterThan(0);
      expect(attemptsBy[1]).toBeGreaterThan(0);
    } finally {
      await Promise.all(dispatchers.map((d) => d.close()));
      await receiver.close();
    }
  });
});
