import { describe, expect, it } from "vitest";
import { createAbandonedCommands } from "../../../server/launch/create-abandoned-commands.js";
import type { Store } from "../../../server/store/store.js";
import { pollUntil } from "../../support/poll-until.js";
import { createLaunchRoom, storedCommand } from "./launch-fixtures.js";

describe("createAbandonedCommands", () => {
  it("expires an abandoned command and fails its session before its acknowledgement is taken", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "dispatched" });
    await room.store.createCommand(storedCommand("c-1", "s-1"));
    const abandoned = createAbandonedCommands({ store: room.store, lifecycle: room.lifecycle, log: room.log, now: Date.now, retryMs: 60_000 });
    abandoned.add("c-1", session, "the store could not record the acknowledgement");
    expect(abandoned.size).toBe(1);
    await abandoned.settleFirst("c-1");
    expect(abandoned.size).toBe(0);
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "expired" });
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "failed", errorMessage: "the store could not record the acknowledgement" });
    // A command that is not abandoned is left as it is.
    await room.store.createCommand(storedCommand("c-2", "s-1"));
    await abandoned.settleFirst("c-2");
    expect(await room.store.getCommand("c-2")).toMatchObject({ ackStatus: "" });
    abandoned.close();
  });

  it("retries while the store refuses, and settles once it takes writes again", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "dispatched" });
    await room.store.createCommand(storedCommand("c-1", "s-1"));
    let refusing = true;
    const store: Store = {
      ...room.store,
      expireCommand: (commandId, now) => (refusing ? Promise.reject(new Error("disk full")) : room.store.expireCommand(commandId, now)),
    };
    const abandoned = createAbandonedCommands({ store, lifecycle: room.lifecycle, log: room.log, now: Date.now, retryMs: 10 });
    abandoned.add("c-1", session, "not recorded");
    await expect(abandoned.settleFirst("c-1")).rejects.toThrow("disk full");
    expect(abandoned.size).toBe(1);
    refusing = false;
    await pollUntil(() => abandoned.size === 0, { what: "the retry to settle the command" });
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "expired" });
    expect(room.logged.map((l) => l.message)).toContain("launch s-1 failed and the store could not record it: it is expired once the store takes writes");
    abandoned.close();
  });
});
