import { describe, expect, it } from "vitest";
import { createLauncher } from "../../../server/launch/create-launcher.js";
import type { Store } from "../../../server/store/store.js";
import { createLaunchRoom, launchRequest } from "./launch-fixtures.js";

/** Store methods that write, by name: every one is its own transaction. */
const writes = /^(accept|create|update|append|move|record|expire|bind|complete|claim|release|revoke|decide|mark|set)/;

/** Counts the store's writes while `run` runs, by method name. */
async function countWrites(store: Store, run: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const target = store as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (let o: object | null = store; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      const fn = target[key];
      if (!writes.test(key) || typeof fn !== "function" || originals.has(key)) continue;
      originals.set(key, fn);
      target[key] = (...args: unknown[]) => {
        calls.push(key);
        return (fn as (...a: unknown[]) => unknown).apply(store, args);
      };
    }
  }
  try {
    await run();
  } finally {
    for (const [key, fn] of originals) target[key] = fn;
  }
  return calls;
}

describe("createLauncher", () => {
  it("writes a launch acknowledged before its dispatched move in two transactions: the accept, and the ack with dispatched and its state", async () => {
    const room = await createLaunchRoom();
    const launcher = createLauncher({ store: room.store, hub: room.hub, events: room.events, lifecycle: room.lifecycle, log: room.log });
    room.daemon({
      onCommand: (command) =>
        command.kind.case === "launch" && launcher.acknowledge("m1", { commandId: command.commandId, status: "ok", payload: {} }, new AbortController().signal),
    });
    const calls = await countWrites(room.store, () => launcher.launch(room.principal, launchRequest(), { signal: new AbortController().signal }));
    // The ack comes at once, before the dispatched move (a turn behind the push): it writes dispatched itself.
    expect(calls).toEqual(["acceptLaunch", "recordAck"]);
    const session = (await room.store.listSessions({ workspaceId: [...room.principal.workspaceIds][0]!, limit: 1 }))[0]!;
    expect(session.state).toBe("running");
    expect((await room.store.listSessionEvents(session.sessionId, 0)).map((e) => [e.type, e.state])).toEqual([
      ["accepted", "pending"],
      ["dispatched", "dispatched"],
      ["acknowledged", "running"],
    ]);
  });

  it("writes three when the ack comes after the dispatched move is written: the accept, dispatched, and the ack with its state", async () => {
    const room = await createLaunchRoom();
    const launcher = createLauncher({ store: room.store, hub: room.hub, events: room.events, lifecycle: room.lifecycle, log: room.log });
    room.daemon({
      onCommand: (command) => {
        if (command.kind.case !== "launch") return;
        setTimeout(() => void launcher.acknowledge("m1", { commandId: command.commandId, status: "ok", payload: { pid: 9 } }, new AbortController().signal), 20);
      },
    });
    const calls = await countWrites(room.store, () => launcher.launch(room.principal, launchRequest(), { signal: new AbortController().signal }));
    expect(calls).toEqual(["acceptLaunch", "moveSession", "recordAck"]);
    const session = (await room.store.listSessions({ workspaceId: [...room.principal.workspaceIds][0]!, limit: 1 }))[0]!;
    expect(session).toMatchObject({ state: "running", pid: 9 });
  });

  it("still moves the session when it changed behind the dispatch's copy (another replica wrote it)", async () => {
    const room = await createLaunchRoom();
    const launcher = createLauncher({ store: room.store, hub: room.hub, events: room.events, lifecycle: room.lifecycle, log: room.log });
    room.daemon({
      onCommand: (command) => {
        if (command.kind.case !== "launch") return;
        setTimeout(async () => {
          const sessionId = command.kind.case === "launch" ? command.kind.value.sessionId : "";
          // Written behind this replica's lifecycle, as another replica's report would be.
          const stored = (await room.store.getSessionById(sessionId))!;
          await room.store.moveSession({ sessionId, from: stored.state, patch: { state: "unknown", updatedAt: Date.now() }, events: [] });
          await launcher.acknowledge("m1", { commandId: command.commandId, status: "ok", payload: {} }, new AbortController().signal);
        }, 20);
      },
    });
    const result = await launcher.launch(room.principal, launchRequest(), { signal: new AbortController().signal });
    expect(result.status).toBe("ok");
    const session = (await room.store.getSessionById(String(result.payload.session_id)))!;
    expect(session.state).toBe("running");
    expect(session.acknowledgement?.status).toBe("ok");
  });
});
