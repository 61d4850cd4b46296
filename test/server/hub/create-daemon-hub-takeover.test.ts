import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import type { DaemonCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import {
  createDaemonHub,
  type DaemonHub,
  type DaemonInfo,
  instanceFingerprint,
  instanceHash,
  type StreamHolder,
} from "../../../server/hub/create-daemon-hub.js";
import { createLocalBackplane } from "../../../server/hub/create-local-backplane.js";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { Store } from "../../../server/store/store.js";
import { pollUntil } from "../../support/poll-until.js";

let store: Store;
let hub: DaemonHub;
let logged: string[];
const aborts: AbortController[] = [];

async function setUp() {
  store = createSqliteStore({ path: ":memory:" });
  await store.migrate();
  logged = [];
  hub = createDaemonHub({ store, log: (message) => logged.push(message) });
}
afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  hub?.close();
  await store?.close();
});

/** Opens machine m1's stream for `holder` and reads it in the background; `ended` settles when it ends. */
async function open(holder: StreamHolder, hostname = "host-a") {
  const abort = new AbortController();
  aborts.push(abort);
  const stream = hub.subscribe("m1", { daemonVersion: "1", hostname }, abort.signal, holder);
  const ended = (async () => {
    for await (const _ of stream as AsyncIterable<DaemonCommand>) {
      // pings only
    }
  })();
  await pollUntil(() => hub.isOnline("m1"), { what: "m1 online", intervalMs: 1 });
  return { abort, ended };
}

const claim = (instanceId: string, probe?: () => Promise<boolean>) => ({ instanceId, hostname: "host-b", ...(probe ? { probe } : {}) });
const refusal = (p: Promise<void>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe("createDaemonHub", () => {
  it("refuses another instance with already_exists while the holder's connection answers, and logs it", async () => {
    await setUp();
    let probes = 0;
    const first = await open({ instanceId: "inst-a", probe: async () => {
        probes++;
        return true;
      },
    });
    const error = await refusal(hub.checkTakeover("m1", claim("inst-b")));
    expect(error?.code).toBe(Code.AlreadyExists);
    expect(error?.rawMessage).toBe("machine m1 already has a live daemon; one daemon per machine (it takes over once that daemon's stream ends)");
    // The holder's id proves its reconnects: the refused one never learns it, and logs show fingerprints only.
    expect(error?.rawMessage).not.toContain("inst-a");
    expect(probes).toBe(1);
    const [a, b] = [instanceFingerprint("inst-a"), instanceFingerprint("inst-b")];
    expect(logged.join("\n")).toContain(`refused a Subscribe from daemon instance ${b} (host-b): instance ${a} (host-a) holds a live stream`);
    expect(logged.join("\n")).not.toContain("inst-a");
    expect(await hub.isOnline("m1")).toBe(true);
    first.abort.abort();
    await first.ended;
  });

  it("lets the same instance reconnect, and instances without an id replace as before, without probing", async () => {
    await setUp();
    const probe = async () => {
      throw new Error("must not probe");
    };
    await open({ instanceId: "inst-a", probe });
    await hub.checkTakeover("m1", claim("inst-a"));
    await hub.checkTakeover("m1", claim(""));
    await open({ instanceId: "", probe });
    await hub.checkTakeover("m1", claim("inst-z"));
    expect(logged).toEqual([]);
  });

  it("hands the machine to a newcomer once the holder's connection fails its probe, closing the half-dead stream", async () => {
    await setUp();
    const first = await open({ instanceId: "inst-a", probe: async () => false });
    await hub.checkTakeover("m1", claim("inst-b"));
    await first.ended;
    expect(logged.join("\n")).toContain(
      `daemon instance ${instanceFingerprint("inst-a")} did not answer a ping; instance ${instanceFingerprint("inst-b")} (host-b) takes over its stream`,
    );
    const second = await open({ instanceId: "inst-b" }, "host-b");
    expect((await hub.presence(["m1"])).get("m1")?.hostname).toBe("host-b");
    second.abort.abort();
    await second.ended;
  });

  it("lets any instance in once the holder's stream has ended", async () => {
    await setUp();
    const first = await open({ instanceId: "inst-a", probe: async () => true });
    first.abort.abort();
    await first.ended;
    await hub.checkTakeover("m1", claim("inst-b"));
  });
});

describe("createDaemonHub across replicas", () => {
  it("refuses another instance while another replica holds the machine for a different instance hash", async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    logged = [];
    const remote = new Map<string, DaemonInfo>([["m1", { daemonVersion: "1", hostname: "far", instanceHash: instanceHash("inst-a") }]]);
    const backplane = { ...createLocalBackplane(), online: async (ids: readonly string[]) => new Map(ids.flatMap((id) => (remote.has(id) ? [[id, remote.get(id)!] as const] : []))) };
    hub = createDaemonHub({ store, backplane, log: (message) => logged.push(message) });
    const error = await refusal(hub.checkTakeover("m1", claim("inst-b")));
    expect(error?.code).toBe(Code.AlreadyExists);
    expect(logged.join("\n")).toContain("holds a live stream on another replica");
    // Its own reconnect, and a daemon without an id, get through; so does anyone once the lease is gone.
    await hub.checkTakeover("m1", claim("inst-a"));
    await hub.checkTakeover("m1", claim(""));
    remote.clear();
    await hub.checkTakeover("m1", claim("inst-b"));
  });

  it("closes a stream whose connection stops answering at the next ping round", async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    logged = [];
    hub = createDaemonHub({ store, pingIntervalMs: 20, log: (message) => logged.push(message) });
    let answering = true;
    const held = await open({ instanceId: "inst-a", probe: async () => answering });
    answering = false;
    await held.ended;
    expect(await hub.isOnline("m1")).toBe(false);
    expect(logged.join("\n")).toContain("machine m1: the daemon's connection did not answer a ping; closing its command stream");
  });
});
