import { pollUntil } from "../../support/poll-until.js";
import { describe, expect, it } from "vitest";
import { orphanStopGraceMs, stopOrphan } from "../../../server/launch/stop-orphan.js";
import { createLaunchRoom } from "./launch-fixtures.js";

describe("stopOrphan", () => {
  it("sends a stop with the orphan grace to the session's machine, and logs a refusal without throwing", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "s-1", state: "failed" });
    const daemon = room.daemon();
    await stopOrphan(room, { sessionId: "s-1", machineId: "m1" }, "for a test");
    const command = await daemon.nextCommand();
    expect(command.kind.case).toBe("stop");
    if (command.kind.case !== "stop") return;
    expect(command.kind.value.sessionId).toBe("s-1");
    expect(Number(command.kind.value.grace?.seconds) * 1000).toBe(orphanStopGraceMs);
    await room.acknowledge(command.commandId, "error", { error: { code: "x", message: "no" } });
    await pollUntil(() => room.logged.some((l) => l.message.includes("the daemon answered error")));
  });

  it("records the stop for an offline machine, to be delivered when its daemon reconnects", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "s-1", state: "failed" });
    await stopOrphan(room, { sessionId: "s-1", machineId: "m1" }, "for a test");
    expect(room.logged.at(-1)?.message).toContain("offline");
    const pending = await room.store.listPendingCommands("m1", Date.now());
    expect(pending.map((c) => c.kind)).toEqual(["stop"]);
  });
});
