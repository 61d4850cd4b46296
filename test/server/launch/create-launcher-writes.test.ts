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
  it("writes a launch in four transactions: the accept (session, event, command), dispatched, the ack, and its state", async () => {
    const room = await createLaunchRoom();
    const launcher = createLauncher({ store: room.store, hub: room.hub, events: room.events, lifecycle: room.lifecycle, log: room.log });
    room.daemon({
      onCommand: (command) =>
        command.kind.case === "launch" && launcher.acknowledge("m1", { commandId: command.commandId, status: "ok", payload: {} }, new AbortController().signal),
    });
    const calls = await countWrites(room.store, () => launcher.launch(room.principal, launchRequest(), { signal: new AbortController().signal }));
    // The ack may come before the dispatched move is written: the order is the daemon's, the count is not.
    expect(calls[0]).toBe("acceptLaunch");
    expect([...calls].sort()).toEqual(["acceptLaunch", "moveSession", "moveSession", "recordAck"]);
  });
});
