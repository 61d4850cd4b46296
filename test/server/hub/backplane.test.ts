import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backplane, BackplaneHandlers } from "../../../server/hub/backplane.js";
import { createLocalBackplane } from "../../../server/hub/create-local-backplane.js";
import { createPostgresBackplane } from "../../../server/hub/postgres/create-postgres-backplane.js";
import { parsePostgresUrl } from "../../../server/store/postgres/create-postgres-pool.js";
import { pollUntil } from "../../support/poll-until.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../support/postgres-test-database.js";

const info = { daemonVersion: "1", hostname: "h" };

/** What every backplane promises the hub, whatever carries it. */
function describeBackplaneContract(name: string, make: () => Promise<Backplane>) {
  describe(`Backplane (${name})`, () => {
    it("starts once however often it is asked", async () => {
      const b = await make();
      expect(b.start()).toBe(b.start());
      await b.start();
    });

    it("says a machine it holds went offline when it releases it, and nothing about a machine it never held", async () => {
      const b = await make();
      await b.start();
      await b.hold("m-1", info);
      expect(await b.release("m-1")).toBe(true);
      // A replica never reports its own holds as another's.
      expect(await b.online(["m-1"])).toEqual(new Map());
    });

    it("announces commands, acks and events without throwing, and closes", async () => {
      const b = await make();
      await b.start();
      await b.route("m-1", "c-1");
      await b.acked("c-1");
      await b.appended("s-1", 1);
      await b.close();
    });
  });
}

describeBackplaneContract("local", async () => createLocalBackplane());

const postgres = await findTestPostgres("PostgreSQL backplane contract");

describe.skipIf(postgres.skip)("Backplane on PostgreSQL", () => {
  let db: TestSchema;
  const made: Backplane[] = [];
  beforeAll(async () => {
    db = await createTestSchema("backplane_contract");
  });
  afterEach(async () => {
    for (const b of made.splice(0)) await b.close();
  });
  afterAll(async () => {
    await db?.drop();
  });
  const make = async (replicaId?: string, leaseMs = 6_000) => {
    const b = createPostgresBackplane({
      connection: parsePostgresUrl(db.url).clientConfig,
      channelPrefix: db.schema,
      leaseMs,
      log: () => {},
      ...(replicaId ? { replicaId } : {}),
    });
    made.push(b);
    return b;
  };

  describeBackplaneContract("postgres", () => make());

  /** Records what a backplane delivers to its handlers. */
  function heard(b: Backplane) {
    const got: string[] = [];
    const handlers: BackplaneHandlers = {
      command: (m, c) => got.push(`command ${m} ${c}`),
      ack: (c) => got.push(`ack ${c}`),
      event: (s, n) => got.push(`event ${s} ${n}`),
      lost: (m) => got.push(`lost ${m}`),
      expired: (m) => got.push(`expired ${m}`),
      resync: () => got.push("resync"),
    };
    b.on(handlers);
    return got;
  }

  it("tells every replica about routed commands, acks and events", async () => {
    const [a, b] = [await make("a"), await make("b")];
    const heardByB = heard(b);
    await Promise.all([a.start(), b.start()]);
    await a.route("m-1", "c-1");
    await a.acked("c-2");
    await a.appended("s-1", 7);
    await pollUntil(() => heardByB.length >= 3);
    expect(heardByB).toEqual(["command m-1 c-1", "ack c-2", "event s-1 7"]);
  });

  it("shows a machine another replica holds as online with its info, and moves it to the replica that holds it last", async () => {
    const [a, b] = [await make("a"), await make("b")];
    const heardByA = heard(a);
    await Promise.all([a.start(), b.start()]);
    await a.hold("m-1", info);
    expect(await b.online(["m-1", "m-2"])).toEqual(new Map([["m-1", info]]));
    await b.hold("m-1", { daemonVersion: "2", hostname: "h2" });
    await pollUntil(() => heardByA.includes("lost m-1"), { what: "a to learn it lost m-1" });
    expect(await a.release("m-1")).toBe(false);
    expect(await a.online(["m-1"])).toEqual(new Map([["m-1", { daemonVersion: "2", hostname: "h2" }]]));
  });

  it("lets a dead replica's leases lapse: the others sweep them and report the machine expired", async () => {
    const [a, b] = [await make("a", 150), await make("b", 150)];
    const heardByA = heard(a);
    const heardByB = heard(b);
    await Promise.all([a.start(), b.start()]);
    await a.hold("m-1", info);
    const client = new pg.Client(parsePostgresUrl(db.url).clientConfig);
    await client.connect();
    // a "dies": its lease is no longer renewed by anyone.
    await client.query("UPDATE wsctl_machine_presence SET replica_id = 'dead', expires_at = now() - interval '1 second'");
    await client.end();
    // Whichever replica sweeps first reports it, once.
    await pollUntil(() => [...heardByA, ...heardByB].includes("expired m-1") && heardByA.includes("lost m-1"), {
      what: "a replica to sweep the lapsed lease, and a to learn it lost it",
    });
    expect([...heardByA, ...heardByB].filter((h) => h === "expired m-1")).toHaveLength(1);
    expect(await b.online(["m-1"])).toEqual(new Map());
  });
});
