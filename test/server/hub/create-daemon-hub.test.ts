import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { type DaemonCommand, DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { Backplane, BackplaneHandlers } from "../../../server/hub/backplane.js";
import { createDaemonHub, type DaemonHub, type DaemonHubOptions, type DaemonInfo } from "../../../server/hub/create-daemon-hub.js";
import { createLocalBackplane } from "../../../server/hub/create-local-backplane.js";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { Store } from "../../../server/store/store.js";
import { pollUntil } from "../../support/poll-until.js";

const info: DaemonInfo = { daemonVersion: "1.2.3", hostname: "host-a" };
const stopCommand = (commandId: string): DaemonCommand =>
  create(DaemonCommandSchema, { commandId, kind: { case: "stop", value: { sessionId: "s-1" } } });

/** A local backplane that records what the hub tells other replicas, and lets a test play another replica. */
function recordingBackplane() {
  const told: string[] = [];
  const handlers: Partial<BackplaneHandlers>[] = [];
  const remote = new Map<string, DaemonInfo>();
  const base = createLocalBackplane();
  const backplane: Backplane = {
    ...base,
    on: (h) => handlers.push(h),
    async online(ids) {
      return new Map(ids.flatMap((id) => (remote.has(id) ? [[id, remote.get(id)!] as const] : [])));
    },
    async route(machineId, commandId) {
      told.push(`route ${machineId} ${commandId}`);
    },
    async acked(commandId) {
      told.push(`acked ${commandId}`);
    },
  };
  /** Delivers a notification as another replica's would arrive. */
  const notify = <K extends keyof BackplaneHandlers>(kind: K, ...args: Parameters<BackplaneHandlers[K]>) => {
    for (const h of handlers) (h[kind] as ((...a: unknown[]) => void) | undefined)?.(...args);
  };
  return { backplane, told, remote, notify };
}

let stores: Store[] = [];
async function memoryStore(): Promise<Store> {
  const store = createSqliteStore({ path: ":memory:" });
  await store.migrate();
  stores.push(store);
  return store;
}

/** A hub that records its onOnline/onOffline calls, and lets a test wait for the next one. */
async function recordingHub(options: Partial<Omit<DaemonHubOptions, "onOnline" | "onOffline">> = {}) {
  const calls: string[] = [];
  let wake: (() => void) | undefined;
  const record = (call: string) => {
    calls.push(call);
    wake?.();
  };
  const hub = createDaemonHub({
    store: options.store ?? (await memoryStore()),
    ...options,
    onOnline: (machineId, i) => record(`online ${machineId} ${i.hostname}`),
    onOffline: (machineId) => record(`offline ${machineId}`),
  });
  /** Resolves once `calls` has `n` entries. */
  const calledTimes = async (n: number) => {
    while (calls.length < n) await new Promise<void>((resolve) => (wake = resolve));
    return calls;
  };
  return { hub, calls, calledTimes };
}

/** Opens a machine's stream and starts reading it; `next` is the pending first read. */
function open(hub: DaemonHub, machineId: string, daemonInfo: DaemonInfo = info) {
  const controller = new AbortController();
  const it = hub.subscribe(machineId, daemonInfo, controller.signal)[Symbol.asyncIterator]();
  return { controller, it, next: it.next() };
}

let hubs: DaemonHub[] = [];
afterEach(async () => {
  for (const hub of hubs) hub.close();
  hubs = [];
  for (const store of stores) await store.close();
  stores = [];
});

function track<T extends { hub: DaemonHub }>(made: T): T {
  hubs.push(made.hub);
  return made;
}

describe("createDaemonHub", () => {
  it("has a machine online exactly while its stream is read", async () => {
    const { hub, calls, calledTimes } = track(await recordingHub());
    const controller = new AbortController();
    const stream = hub.subscribe("m-1", info, controller.signal);
    expect(await hub.isOnline("m-1")).toBe(false);
    const it = stream[Symbol.asyncIterator]();
    const next = it.next();
    await calledTimes(1);
    expect(await hub.isOnline("m-1")).toBe(true);
    expect(await hub.presence(["m-1", "m-2"])).toEqual(new Map([["m-1", info]]));
    controller.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    await calledTimes(2);
    expect(await hub.isOnline("m-1")).toBe(false);
    expect(await hub.presence(["m-1"])).toEqual(new Map());
    expect(calls).toEqual(["online m-1 host-a", "offline m-1"]);
  });

  it("leaves no machine online for a stream that is never read", async () => {
    const { hub, calls } = track(await recordingHub());
    hub.subscribe("m-1", info, new AbortController().signal);
    expect(await hub.isOnline("m-1")).toBe(false);
    expect(calls).toEqual([]);
  });

  it("goes offline when the reader stops reading", async () => {
    const { hub, calls, calledTimes } = track(await recordingHub());
    const { it, next } = open(hub, "m-1");
    await calledTimes(1);
    await hub.send("m-1", stopCommand("c-1"));
    await next;
    await it.return?.(undefined);
    expect(await hub.isOnline("m-1")).toBe(false);
    expect(calls).toEqual(["online m-1 host-a", "offline m-1"]);
  });

  it("replaces a machine's stream with a second subscription, without an offline for the replaced one", async () => {
    const { hub, calls, calledTimes } = track(await recordingHub());
    const first = open(hub, "m-1");
    await calledTimes(1);
    const second = open(hub, "m-1", { daemonVersion: "2.0.0", hostname: "host-b" });
    await calledTimes(2);
    expect(await first.next).toEqual({ done: true, value: undefined });
    expect(await hub.isOnline("m-1")).toBe(true);
    expect((await hub.presence(["m-1"])).get("m-1")).toEqual({ daemonVersion: "2.0.0", hostname: "host-b" });
    expect(calls).toEqual(["online m-1 host-a", "online m-1 host-b"]);

    expect(await hub.send("m-1", stopCommand("c-1"))).toBe(true);
    expect((await second.next).value?.commandId).toBe("c-1");
    // The first one's abort, now, changes nothing for the second.
    first.controller.abort();
    expect(await hub.isOnline("m-1")).toBe(true);
    const end = second.it.next();
    second.controller.abort();
    expect(await end).toEqual({ done: true, value: undefined });
    await calledTimes(3);
    expect(calls).toEqual(["online m-1 host-a", "online m-1 host-b", "offline m-1"]);
    expect(await hub.isOnline("m-1")).toBe(false);
  });

  it("sends a command down the machine's stream and answers false for a machine that is offline", async () => {
    const { hub, calledTimes } = track(await recordingHub());
    expect(await hub.send("m-1", stopCommand("c-0"))).toBe(false);
    const { controller, it, next } = open(hub, "m-1");
    await calledTimes(1);
    expect(await hub.send("m-1", stopCommand("c-1"))).toBe(true);
    expect(await hub.send("m-1", stopCommand("c-2"))).toBe(true);
    expect(await hub.send("m-2", stopCommand("c-3"))).toBe(false);
    expect((await next).value?.commandId).toBe("c-1");
    expect((await it.next()).value?.commandId).toBe("c-2");
    controller.abort();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await calledTimes(2);
    expect(await hub.send("m-1", stopCommand("c-4"))).toBe(false);
  });

  it("pings every idle stream on one shared interval", async () => {
    const { hub, calledTimes } = track(await recordingHub({ pingIntervalMs: 10 }));
    const { it, next } = open(hub, "m-1");
    await calledTimes(1);
    const first = (await next).value;
    const between = Date.now();
    const second = (await it.next()).value;
    expect(first?.kind.case).toBe("ping");
    expect(second?.kind.case).toBe("ping");
    // One schedule for every stream: the next ping comes an interval after the last.
    expect(Date.now() - between).toBeGreaterThanOrEqual(5);
    const time = first?.kind.case === "ping" ? first.kind.value.time : undefined;
    expect(Number(time?.seconds)).toBeGreaterThan(0);
  });

  it("ends every stream on close", async () => {
    const { hub, calls, calledTimes } = track(await recordingHub());
    const a = open(hub, "m-1");
    const b = open(hub, "m-2", { daemonVersion: "1", hostname: "host-c" });
    await calledTimes(2);
    hub.close();
    expect(await a.next).toEqual({ done: true, value: undefined });
    expect(await b.next).toEqual({ done: true, value: undefined });
    await calledTimes(4);
    expect([await hub.isOnline("m-1"), await hub.isOnline("m-2")]).toEqual([false, false]);
    expect(calls.slice(2).sort()).toEqual(["offline m-1", "offline m-2"]);
  });
});

describe("createDaemonHub across replicas", () => {
  it("gives a subscribing daemon its unacknowledged commands again, and only those", async () => {
    const store = await memoryStore();
    await store.createWorkspace("ws", 1);
    await store.createMachine({ machineId: "m-1", workspaceId: "ws", makeDefault: true, now: 1 });
    await store.createSession({
      sessionId: "s-1", workspaceId: "ws", machineId: "m-1", state: "dispatched", provider: "", model: "", agentSessionId: "",
      workDir: "", branch: "", pid: 0, exitCode: undefined, errorMessage: "", metadata: {}, acknowledgement: undefined, createdAt: 1, updatedAt: 1,
    });
    const now = Date.now();
    for (const [id, deadlineAt] of [["pending", now + 60_000], ["expired", now - 1], ["acked", now + 60_000]] as const) {
      await store.createCommand({ commandId: id, machineId: "m-1", sessionId: "s-1", kind: "stop", command: stopCommand(id), deadlineAt, now });
    }
    await store.recordAck({ commandId: "acked", machineId: "m-1", status: "ok", payload: {}, now });
    const { hub } = track(await recordingHub({ store }));
    const { next } = open(hub, "m-1");
    expect((await next).value?.commandId).toBe("pending");
  });

  it("routes a command through the backplane to a machine whose stream another replica holds", async () => {
    const { backplane, told, remote } = recordingBackplane();
    const { hub } = track(await recordingHub({ backplane }));
    expect(await hub.send("m-9", stopCommand("c-1"))).toBe(false);
    remote.set("m-9", info);
    expect(await hub.isOnline("m-9")).toBe(true);
    expect((await hub.presence(["m-9"])).get("m-9")).toEqual(info);
    expect(await hub.send("m-9", stopCommand("c-1"))).toBe(true);
    expect(told).toEqual(["route m-9 c-1"]);
  });

  it("pushes a command another replica routed here, read from the store, unless it was acknowledged", async () => {
    const store = await memoryStore();
    await store.createWorkspace("ws", 1);
    await store.createMachine({ machineId: "m-1", workspaceId: "ws", makeDefault: true, now: 1 });
    await store.createSession({
      sessionId: "s-1", workspaceId: "ws", machineId: "m-1", state: "dispatched", provider: "", model: "", agentSessionId: "",
      workDir: "", branch: "", pid: 0, exitCode: undefined, errorMessage: "", metadata: {}, acknowledgement: undefined, createdAt: 1, updatedAt: 1,
    });
    const { backplane, notify } = recordingBackplane();
    const { hub, calledTimes } = track(await recordingHub({ store, backplane }));
    const { it, next } = open(hub, "m-1");
    await calledTimes(1);
    for (const id of ["done", "routed"]) {
      await store.createCommand({ commandId: id, machineId: "m-1", sessionId: "s-1", kind: "stop", command: stopCommand(id), deadlineAt: undefined, now: 1 });
    }
    await store.recordAck({ commandId: "done", machineId: "m-1", status: "ok", payload: {}, now: 2 });
    notify("command", "m-1", "done");
    notify("command", "m-1", "routed");
    expect((await next).value?.commandId).toBe("routed");
    notify("lost", "m-1");
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("resolves a waiter when another replica recorded the acknowledgement, and tells the backplane when nobody here waits", async () => {
    const store = await memoryStore();
    await store.createWorkspace("ws", 1);
    await store.createMachine({ machineId: "m-1", workspaceId: "ws", makeDefault: true, now: 1 });
    await store.createSession({
      sessionId: "s-1", workspaceId: "ws", machineId: "m-1", state: "dispatched", provider: "", model: "", agentSessionId: "",
      workDir: "", branch: "", pid: 0, exitCode: undefined, errorMessage: "", metadata: {}, acknowledgement: undefined, createdAt: 1, updatedAt: 1,
    });
    const { backplane, told, notify } = recordingBackplane();
    const { hub } = track(await recordingHub({ store, backplane }));
    await store.createCommand({ commandId: "c-1", machineId: "m-1", sessionId: "s-1", kind: "stop", command: stopCommand("c-1"), deadlineAt: undefined, now: 1 });
    const waiting = hub.waitForAck("c-1", new AbortController().signal);
    await store.recordAck({ commandId: "c-1", machineId: "m-1", status: "ok", payload: { result: "stopped" }, now: 2 });
    notify("ack", "c-1");
    expect(await waiting).toEqual({ status: "ok", payload: { result: "stopped" } });
    await hub.deliverAck("c-2", { status: "ok", payload: {} });
    expect(told).toEqual(["acked c-2"]);
  });

  it("reports a machine offline when its remote holder's lease expired, unless it is connected here", async () => {
    const { backplane, notify } = recordingBackplane();
    const { hub, calls, calledTimes } = track(await recordingHub({ backplane }));
    open(hub, "m-1");
    await calledTimes(1);
    notify("expired", "m-1");
    notify("expired", "m-2");
    await pollUntil(() => calls.length === 2);
    expect(calls).toEqual(["online m-1 host-a", "offline m-2"]);
  });
});

describe("DaemonHub.waitForAck", () => {
  it("resolves with the acknowledgement delivered for the command, once", async () => {
    const { backplane, told } = recordingBackplane();
    const { hub } = track(await recordingHub({ backplane }));
    const waiting = hub.waitForAck("c-1", new AbortController().signal);
    const ack = { status: "ok", payload: { pid: 7 } };
    await hub.deliverAck("c-1", ack);
    expect(await waiting).toBe(ack);
    expect(told).toEqual([]);
    await hub.deliverAck("c-1", ack);
    expect(told).toEqual(["acked c-1"]);
  });

  it("rejects with the signal's reason when it aborts, and then takes no acknowledgement", async () => {
    const { backplane, told } = recordingBackplane();
    const { hub } = track(await recordingHub({ backplane }));
    const controller = new AbortController();
    const waiting = hub.waitForAck("c-1", controller.signal);
    const reason = new Error("caller went away");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await hub.deliverAck("c-1", { status: "ok", payload: {} });
    expect(told).toEqual(["acked c-1"]);
  });

  it("rejects at once on a signal that has already aborted", async () => {
    const { hub } = track(await recordingHub());
    const reason = new Error("too late");
    await expect(hub.waitForAck("c-1", AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
