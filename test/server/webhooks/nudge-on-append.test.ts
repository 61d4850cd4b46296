import { describe, expect, it } from "vitest";
import type { BackplaneHandlers } from "../../../server/hub/backplane.js";
import { createLocalBackplane } from "../../../server/hub/create-local-backplane.js";
import { nudgeOnAppend } from "../../../server/webhooks/nudge-on-append.js";

describe("nudgeOnAppend", () => {
  it("nudges on every append here and on other replicas' events and resyncs, keeping the backplane's own members", async () => {
    const handlers: Partial<BackplaneHandlers>[] = [];
    const appended: [string, number][] = [];
    const inner = { ...createLocalBackplane(), replicaId: "r1", on: (h: Partial<BackplaneHandlers>) => void handlers.push(h), appended: async (s: string, n: number) => void appended.push([s, n]) };
    let nudges = 0;
    const wrapped = nudgeOnAppend(inner, () => nudges++);
    expect(wrapped.replicaId).toBe("r1");
    await wrapped.appended("s-1", 3);
    expect([nudges, appended]).toEqual([1, [["s-1", 3]]]);
    handlers[0]!.event?.("s-2", 1);
    handlers[0]!.resync?.();
    expect(nudges).toBe(3);
    wrapped.on({});
    expect(handlers).toHaveLength(2);
  });
});
