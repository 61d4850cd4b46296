import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { AcceptedLaunch } from "../../../server/launch/accept-launch.js";
import { dispatchLaunch } from "../../../server/launch/dispatch-launch.js";
import { followLaunch } from "../../../server/launch/follow-launch.js";
import type { LaunchResult } from "../../../server/launch/launch-result.js";
import type { SessionEventRecord } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, deferred, type LaunchRoom, launchRequest } from "./launch-fixtures.js";

/** Follows `launch` to its end, calling `onEvent` after each event; resolves with the events, or rejects with the stream's error and its events. */
function follow(
  room: LaunchRoom,
  launch: AcceptedLaunch,
  dispatched: Promise<LaunchResult>,
  options: { signal?: AbortSignal; onEvent?: (event: SessionEventRecord) => unknown } = {},
) {
  const events: SessionEventRecord[] = [];
  const signal = options.signal ?? new AbortController().signal;
  const done = (async () => {
    for await (const event of followLaunch({ store: room.store, events: room.events }, launch, dispatched, signal)) {
      events.push(event);
      await options.onEvent?.(event);
    }
  })();
  return { events, done };
}

const summary = (events: SessionEventRecord[]) => events.map((e) => [e.sequence, e.type, e.state]);

describe("followLaunch", () => {
  it("yields the launch's events from accepted to its terminal one, then ends", async () => {
    const room = await createLaunchRoom();
    room.daemon({ onCommand: (c) => room.acknowledge(c.commandId, "ok", { pid: 3 }) });
    const launch = await room.accept();
    const dispatched = dispatchLaunch(room.dispatchDeps(), launch, { signal: new AbortController().signal });
    const { events, done } = follow(room, launch, dispatched, {
      onEvent: async (event) => {
        if (event.type !== "acknowledged") return;
        const session = (await room.store.getSessionById(launch.session.sessionId))!;
        await room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
      },
    });
    await done;
    expect(summary(events)).toEqual([
      [1, "accepted", "pending"],
      [2, "dispatched", "dispatched"],
      [3, "acknowledged", "running"],
      [4, "exited", "exited"],
    ]);
    expect(events[2]?.acknowledgement).toEqual(await dispatched);
  });

  it("starts at this launch's accepted event, leaving out a reused session's earlier history", async () => {
    const room = await createLaunchRoom();
    room.daemon({ onCommand: (c) => room.acknowledge(c.commandId, "error", { error: { code: "x", message: "y" } }) });
    await room.addSession({ sessionId: "s-old", state: "exited" });
    await room.appendHistory("s-old", [
      ["accepted", "pending"],
      ["exited", "exited"],
    ]);
    const reuse = await room.accept(launchRequest({ userSessionId: "s-old" }));
    const { events, done } = follow(room, reuse, dispatchLaunch(room.dispatchDeps(), reuse, { signal: new AbortController().signal }));
    await done;
    expect(summary(events)).toEqual([
      [3, "accepted", "pending"],
      [4, "dispatched", "dispatched"],
      [5, "acknowledged", "failed"],
      [6, "failed", "failed"],
    ]);
  });

  it("ends a failed dispatch with its recorded failed event, then throws the dispatch's code", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const launch = await room.accept(launchRequest(), undefined, 20);
    const dispatched = dispatchLaunch(room.dispatchDeps(), launch, { signal: new AbortController().signal });
    const { events, done } = follow(room, launch, dispatched);
    const error = await expectCode(done, Code.DeadlineExceeded);
    expect(summary(events)).toEqual([
      [1, "accepted", "pending"],
      [2, "dispatched", "dispatched"],
      [3, "failed", "failed"],
    ]);
    expect(events[2]?.message).toBe(error.rawMessage);
  });

  it("ends a failure whose failed event could not be stored with one made from the error (sequence 0), then throws", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const launch = await room.accept();
    const dispatch = deferred<LaunchResult>();
    const { events, done } = follow(room, launch, dispatch.promise, {
      onEvent: (event) => {
        // Nothing recorded the failure: the session is still pending when the dispatch gives up.
        if (event.type === "accepted") dispatch.reject(new ConnectError("database error (command)", Code.Internal));
      },
    });
    await expectCode(done, Code.Internal, /database error \(command\)/);
    expect(summary(events)).toEqual([
      [1, "accepted", "pending"],
      [0, "failed", "failed"],
    ]);
    expect(events[1]).toMatchObject({ sessionId: launch.session.sessionId, machineId: "m1", message: "database error (command)" });
  });

  it("ends quietly when the caller aborts, even if the dispatch fails afterwards", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const launch = await room.accept();
    const dispatch = deferred<LaunchResult>();
    const caller = new AbortController();
    const { events, done } = follow(room, launch, dispatch.promise, {
      signal: caller.signal,
      onEvent: () => {
        caller.abort(new Error("the caller left"));
        dispatch.reject(new ConnectError("too late", Code.DeadlineExceeded));
      },
    });
    await expect(done).resolves.toBeUndefined();
    expect(summary(events)).toEqual([[1, "accepted", "pending"]]);
  });
});
