import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBackplane } from "../../../server/hub/open-backplane.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../support/postgres-test-database.js";

describe("openBackplane", () => {
  it("gives a SQLite database the one-process backplane", async () => {
    expect((await openBackplane("./data/wsctl.db")).replicaId).toBe("local");
    expect((await openBackplane(":memory:")).replicaId).toBe("local");
  });

  it("refuses a postgres URL it cannot use, without repeating it", async () => {
    await expect(openBackplane("postgres://u:secret@127.0.0.1:1/db?schema=Bad-Name")).rejects.toThrow(/schema/);
    const refused = await openBackplane("postgres://u:secret@127.0.0.1:1/db", { log: () => {} }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(refused?.message).not.toContain("secret");
  });
});

const postgres = await findTestPostgres("openBackplane on PostgreSQL");

describe.skipIf(postgres.skip)("openBackplane on PostgreSQL", () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema("open_backplane");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("starts a PostgreSQL backplane for a postgres URL, with its table in the URL's schema", async () => {
    const backplane = await openBackplane(db.url, { log: () => {} });
    try {
      expect(backplane.replicaId).not.toBe("local");
      await backplane.hold("m-1", { daemonVersion: "1", hostname: "h" });
      expect(await backplane.release("m-1")).toBe(true);
    } finally {
      await backplane.close();
    }
  });
});
