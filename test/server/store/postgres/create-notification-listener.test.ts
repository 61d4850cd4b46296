import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNotificationListener } from "../../../../server/store/postgres/create-notification-listener.js";
import { parsePostgresUrl } from "../../../../server/store/postgres/create-postgres-pool.js";
import { pollUntil } from "../../../support/poll-until.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";

const postgres = await findTestPostgres("PostgreSQL notification listener");

describe.skipIf(postgres.skip)("createNotificationListener", () => {
  let db: TestSchema;
  let admin: pg.Client;
  beforeAll(async () => {
    db = await createTestSchema("listener");
    admin = new pg.Client(parsePostgresUrl(db.url).clientConfig);
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it("delivers notifications on its channels, and after its connection is killed reconnects, says so, and delivers again", async () => {
    const got: string[] = [];
    let reconnects = 0;
    const listener = createNotificationListener({
      connection: { ...parsePostgresUrl(db.url).clientConfig, application_name: "wsctl-listener-test" },
      channels: ["t_one", "t_two"],
      onNotification: (channel, payload) => got.push(`${channel}:${payload}`),
      onReconnect: () => reconnects++,
      log: () => {},
      retryMs: 10,
    });
    await listener.start();
    try {
      await admin.query("SELECT pg_notify('t_one', 'a'), pg_notify('t_other', 'x'), pg_notify('t_two', 'b')");
      await pollUntil(() => got.length >= 2);
      expect(got).toEqual(["t_one:a", "t_two:b"]);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wsctl-listener-test'");
      await pollUntil(() => reconnects === 1, { what: "the listener to reconnect" });
      await admin.query("SELECT pg_notify('t_one', 'c')");
      await pollUntil(() => got.includes("t_one:c"), { what: "a notification after the reconnect" });
    } finally {
      await listener.close();
    }
  });

  it("refuses a channel name that is not an identifier", async () => {
    const listener = createNotificationListener({
      connection: parsePostgresUrl(db.url).clientConfig,
      channels: ["ok", "no; DROP TABLE x"],
      onNotification: () => {},
      onReconnect: () => {},
      log: () => {},
    });
    await expect(listener.start()).rejects.toThrow(/not an identifier/);
    await listener.close();
  });
});
