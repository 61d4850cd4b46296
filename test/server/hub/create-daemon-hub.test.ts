import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { type DaemonCommand, DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { createDaemonHub, type DaemonHub, type DaemonHubOptions, type DaemonInfo } from "../../../server/hub/create-daemon-hub.js";

const info: DaemonInfo = { daemonVersion: "1.2.3", hostname: "host-a" };
const stopCommand = (commandId: string): DaemonCommand =>
  create(DaemonCommandSchema, { commandId, kind: { case: "stop", value: { sessionId: "s-1" } } });

/** A hub that records its onOnline/onOffline calls, and lets a test wait for the next one. */
function recordingHub(options: Omit<DaemonHubOptions, "onOnline" | "onOffline"> = {}) {
  const calls: string[] = [];
  let wake: (() => void) | undefined;
  const record = (call: string) => {
    calls.push(call);
    wake?.();
  };
  const hub = createDaemonHub({
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
afterEach(() => {
  for (const hub of hubs) hub.close();
  hubs = [];
});

function track<T extends { hub: DaemonHub }>(made: T): T {
  hubs.push(made.hub);
  return made;
}

describe("createDaemonHub", () => {
  it("has a machine online exactly while its stream is read", async () => {
    const { hub, calls, calledTimes } = track(recordingHub());
    const controller = new AbortController();
    const stream = hub.subscribe("m-1", info, controller.signal);
    expect(hub.isOnline("m-1")).toBe(false);
    const it = stream[Symbol.asyncIterator]();
    const next = it.next();
    await calledTimes(1);
    expect(hub.isOnline("m-1")).toBe(true);
    expect(hub.info("m-1")).toEqual(info);
    controller.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(hub.isOnline("m-1")).toBe(false);
    expect(hub.info("m-1")).toBeUndefined();
    expect(calls).toEqual(["online m-1 host-a", "offline m-1"]);
  });

  it("leaves no machine online for a stream that is never read", () => {
    const { hub, calls } = track(recordingHub());
    hub.subscribe("m-1", info, new AbortController().signal);
    expect(hub.isOnline("m-1")).toBe(false);
    expect(calls).toEqual([]);
  });

  it("goes offline when the reader stops reading", async () => {
    const { hub, calls, calledTimes } = track(recordingHub());
    const { it, next } = open(hub, "m-1");
    await calledTimes(1);
    hub.send("m-1", stopCommand("c-1"));
    await next;
    await it.return?.(undefined);
    expect(hub.isOnline("m-1")).toBe(false);
    expect(calls).toEqual(["online m-1 host-a", "offline m-1"]);
  });

  it("replaces a machine's stream with a second subscription, without an offline for the replaced one", async () => {
    const { hub, calls, calledTimes } = track(recordingHub());
    const first = open(hub, "m-1");
    await calledTimes(1);
    const second = open(hub, "m-1", { daemonVersion: "2.0.0", hostname: "host-b" });
    await calledTimes(2);
    expect(await first.next).toEqual({ done: true, value: undefined });
    expect(hub.isOnline("m-1")).toBe(true);
    expect(hub.info("m-1")).toEqual({ daemonVersion: "2.0.0", hostname: "host-b" });
    expect(calls).toEqual(["online m-1 host-a", "online m-1 host-b"]);

    expect(hub.send("m-1", stopCommand("c-1"))).toBe(true);
    expect((await second.next).value?.commandId).toBe("c-1");
    // The first one's abort, now, changes nothing for the second.
    first.controller.abort();
    expect(hub.isOnline("m-1")).toBe(true);
    const end = second.it.next();
    second.controller.abort();
    expect(await end).toEqual({ done: true, value: undefined });
    expect(calls).toEqual(["online m-1 host-a", "online m-1 host-b", "offline m-1"]);
    expect(hub.isOnline("m-1")).toBe(false);
  });

  it("sends a command down the machine's stream and answers false for a machine that is offline", async () => {
    const { hub, calledTimes } = track(recordingHub());
    expect(hub.send("m-1", stopCommand("c-0"))).toBe(false);
    const { controller, it, next } = open(hub, "m-1");
    await calledTimes(1);
    expect(hub.send("m-1", stopCommand("c-1"))).toBe(true);
    expect(hub.send("m-1", stopCommand("c-2"))).toBe(true);
    expect(hub.send("m-2", stopCommand("c-3"))).toBe(false);
    expect((await next).value?.commandId).toBe("c-1");
    expect((await it.next()).value?.commandId).toBe("c-2");
    controller.abort();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(hub.send("m-1", stopCommand("c-4"))).toBe(false);
  });

  it("pings an idle stream on the interval", async () => {
    const { hub, calledTimes } = track(recordingHub({ pingIntervalMs: 10 }));
    const { it, next } = open(hub, "m-1");
    await calledTimes(1);
    const started = Date.now();
    const first = (await next).value;
    const second = (await it.next()).value;
    expect(first?.kind.case).toBe("ping");
    expect(second?.kind.case).toBe("ping");
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const time = first?.kind.case === "ping" ? first.kind.value.time : undefined;
    expect(Number(time?.seconds)).toBeGreaterThan(0);
  });

  it("ends every stream on close", async () => {
    const { hub, calls, calledTimes } = track(recordingHub());
    const a = open(hub, "m-1");
    const b = open(hub, "m-2", { daemonVersion: "1", hostname: "host-c" });
    await calledTimes(2);
    hub.close();
    expect(await a.next).toEqual({ done: true, value: undefined });
    expect(await b.next).toEqual({ done: true, value: undefined });
    expect([hub.isOnline("m-1"), hub.isOnline("m-2")]).toEqual([false, false]);
    expect(calls.slice(2).sort()).toEqual(["offline m-1", "offline m-2"]);
  });
});

describe("DaemonHub.waitForAck", () => {
  it("resolves with the acknowledgement delivered for the command", async () => {
    const hub = createDaemonHub();
    const waiting = hub.waitForAck("c-1", new AbortController().signal);
    const ack = { status: "ok", payload: { pid: 7 } };
    expect(hub.deliverAck("c-1", ack)).toBe(true);
    expect(await waiting).toBe(ack);
    expect(hub.deliverAck("c-1", ack)).toBe(false);
  });

  it("answers false when nobody waits for the command", () => {
    const hub = createDaemonHub();
    hub.waitForAck("c-1", new AbortController().signal).catch(() => {});
    expect(hub.deliverAck("c-2", { status: "ok", payload: {} })).toBe(false);
  });

  it("rejects with the signal's reason when it aborts, and then takes no acknowledgement", async () => {
    const hub = createDaemonHub();
    const controller = new AbortController();
    const waiting = hub.waitForAck("c-1", controller.signal);
    const reason = new Error("caller went away");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(hub.deliverAck("c-1", { status: "ok", payload: {} })).toBe(false);
  });

  it("rejects at once on a signal that has already aborted", async () => {
    const hub = createDaemonHub();
    const reason = new Error("too late");
    await expect(hub.waitForAck("c-1", AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(hub.deliverAck("c-1", { status: "ok", payload: {} })).toBe(false);
  });
});
