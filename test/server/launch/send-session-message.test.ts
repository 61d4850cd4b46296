import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { DaemonCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { type MessageDeps, sendSessionMessage } from "../../../server/launch/send-session-message.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, type LaunchRoom } from "./launch-fixtures.js";

const deps = (room: LaunchRoom, timeoutMs = 2_000): MessageDeps => ({ store: room.store, hub: room.hub, sender: room.sender, keys: room.keys, timeoutMs });
const call = (idempotencyKey?: string) => ({ idempotencyKey, signal: new AbortController().signal });

/** A daemon that answers every message command with `answer`, keeping what it got. */
function messageDaemon(room: LaunchRoom, answer: (c: DaemonCommand) => { status: "ok" | "error"; payload: Record<string, unknown> }) {
  const got: DaemonCommand[] = [];
  room.daemon({
    onCommand: async (command) => {
      if (command.kind.case !== "message") return;
      got.push(command);
      const { status, payload } = answer(command);
      await room.acknowledge(command.commandId, status, payload as never);
    },
  });
  return got;
}

describe("sendSessionMessage", () => {
  it("sends a message command for a running session and answers with its USER entry once acknowledged", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    const got = messageDaemon(room, () => ({ status: "ok", payload: { offset: 4 } }));
    const sent = await sendSessionMessage(deps(room), room.principal, session, "and the tests", call());
    expect(sent.entry).toEqual({ offset: 4, role: "user", kind: "text", text: "and the tests" });
    expect(got.map((c) => c.kind.value)).toMatchObject([{ sessionId: "s-1", text: "and the tests" }]);
    expect((await room.store.getCommand(got[0]!.commandId))?.kind).toBe("message");
  });

  it("carries the call's request id in the message command, for the daemon's logs", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    const got = messageDaemon(room, () => ({ status: "ok", payload: { offset: 0 } }));
    await sendSessionMessage(deps(room), room.principal, session, "hi", { ...call(), requestId: "req-7" });
    expect(got.map((c) => c.requestId)).toEqual(["req-7"]);
  });

  it("refuses a session that is not running with failed_precondition naming its state, sending nothing", async () => {
    const room = await createLaunchRoom();
    const got = messageDaemon(room, () => ({ status: "ok", payload: {} }));
    for (const state of ["exited", "failed", "pending", "unknown"] as const) {
      const session = await room.addSession({ sessionId: `s-${state}`, state });
      await expectCode(sendSessionMessage(deps(room), room.principal, session, "hi", call()), Code.FailedPrecondition, new RegExp(`is ${state}`));
    }
    expect(got).toEqual([]);
  });

  it("answers unavailable for an offline machine and gives its Idempotency-Key back", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    await expectCode(sendSessionMessage(deps(room), room.principal, session, "hi", call("k-1")), Code.Unavailable);
    const got = messageDaemon(room, () => ({ status: "ok", payload: { offset: 1 } }));
    await sendSessionMessage(deps(room), room.principal, session, "hi", call("k-1"));
    expect(got).toHaveLength(1);
  });

  it("maps the daemon's agent_not_running to failed_precondition and other errors to internal, keeping them for a retry", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    const got = messageDaemon(room, (c) =>
      (c.kind.value as { text: string }).text === "gone"
        ? { status: "error", payload: { error: { code: "agent_not_running", message: "no agent" } } }
        : { status: "error", payload: { error: { code: "agent_stdin_failed", message: "stuck" } } },
    );
    await expectCode(sendSessionMessage(deps(room), room.principal, session, "gone", call("k-gone")), Code.FailedPrecondition, /no agent/);
    await expectCode(sendSessionMessage(deps(room), room.principal, session, "stuck", call()), Code.Internal, /stuck/);
    await expectCode(sendSessionMessage(deps(room), room.principal, session, "gone", call("k-gone")), Code.FailedPrecondition, /no agent/);
    expect(got).toHaveLength(2);
  });

  it("replays the first result for the same Idempotency-Key and sends once", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    const got = messageDaemon(room, () => ({ status: "ok", payload: { offset: 9 } }));
    const first = await sendSessionMessage(deps(room), room.principal, session, "once", call("k-1"));
    const again = await sendSessionMessage(deps(room), room.principal, session, "once", call("k-1"));
    expect(again.entry).toEqual(first.entry);
    expect(got).toHaveLength(1);
    await expectCode(sendSessionMessage(deps(room), room.principal, session, "twice", call("k-1")), Code.InvalidArgument);
  });

  it("answers deadline_exceeded when the daemon does not accept in time", async () => {
    const room = await createLaunchRoom();
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    room.daemon({ onCommand: () => undefined });
    await expectCode(sendSessionMessage(deps(room, 50), room.principal, session, "hi", call()), Code.DeadlineExceeded, /did not accept/);
  });
});
