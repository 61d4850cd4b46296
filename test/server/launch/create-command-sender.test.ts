import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { type DaemonCommand, DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { DaemonHub } from "../../../server/hub/create-daemon-hub.js";
import { createCommandSender, type SendOptions } from "../../../server/launch/create-command-sender.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, type LaunchRoom, rejectionOf } from "./launch-fixtures.js";

function stopCommand(commandId: string): DaemonCommand {
  return create(DaemonCommandSchema, { commandId, kind: { case: "stop", value: { sessionId: "s-1" } } });
}

const options = (extra: Partial<SendOptions> = {}): SendOptions => ({
  sessionId: "s-1",
  kind: "stop",
  timeoutMs: 1_000,
  timeoutMessage: "machine m1 did not answer in time",
  ...extra,
});

async function roomWithSession(): Promise<LaunchRoom> {
  const room = await createLaunchRoom();
  await room.addSession({ sessionId: "s-1", state: "running" });
  return room;
}

describe("createCommandSender", () => {
  it("stores the command row before it pushes the command, then resolves with the daemon's acknowledgement", async () => {
    const room = await roomWithSession();
    const daemon = room.daemon();
    const order: string[] = [];
    const createCommand = room.store.createCommand.bind(room.store);
    room.store.createCommand = async (command, signal) => {
      await createCommand(command, signal);
      order.push(`stored ${command.commandId}`);
    };
    const hub: DaemonHub = {
      ...room.hub,
      send(machineId, command) {
        order.push(`pushed ${command.commandId}`);
        return room.hub.send(machineId, command);
      },
    };
    const sender = createCommandSender({ store: room.store, hub });
    const sent = await sender.send("m1", stopCommand("c-1"), options({ now: 777 }));
    expect(order).toEqual(["stored c-1", "pushed c-1"]);
    expect(await room.store.getCommand("c-1")).toMatchObject({ commandId: "c-1", machineId: "m1", sessionId: "s-1", kind: "stop", createdAt: 777, ackStatus: "" });
    expect((await daemon.nextCommand()).commandId).toBe("c-1");
    await room.acknowledge("c-1", "ok", { result: "stopped" });
    expect(await sent?.ack).toEqual({ status: "ok", payload: { result: "stopped" } });
  });

  it("answers undefined for an offline machine, still recording the command, and leaves no waiter behind", async () => {
    const room = await roomWithSession();
    const sent = await room.sender.send("m1", stopCommand("c-1"), options());
    expect(sent).toBeUndefined();
    expect(await room.store.getCommand("c-1")).toMatchObject({ kind: "stop", ackStatus: "" });
    await room.hub.deliverAck("c-1", { status: "ok", payload: {} });
    expect(room.unclaimedAcks).toEqual(["c-1"]);
  });

  it("rejects with deadline_exceeded carrying the timeout message when no acknowledgement comes in time", async () => {
    const room = await roomWithSession();
    room.daemon();
    const sent = await room.sender.send("m1", stopCommand("c-1"), options({ timeoutMs: 20 }));
    const error = await expectCode(sent!.ack, Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("machine m1 did not answer in time");
    await room.hub.deliverAck("c-1", { status: "ok", payload: {} });
    expect(room.unclaimedAcks).toEqual(["c-1"]);
  });

  it("rejects with the caller's own abort reason when the caller's signal aborts first", async () => {
    const room = await roomWithSession();
    room.daemon();
    const caller = new AbortController();
    const sent = await room.sender.send("m1", stopCommand("c-1"), options({ signal: caller.signal }));
    const reason = new ConnectError("the caller left", Code.Canceled);
    caller.abort(reason);
    expect(await rejectionOf(sent!.ack)).toBe(reason);
    await room.hub.deliverAck("c-1", { status: "ok", payload: {} });
    expect(room.unclaimedAcks).toEqual(["c-1"]);
  });

  it("sends nothing for a caller that has already gone: the store refuses the row as canceled", async () => {
    const room = await roomWithSession();
    room.daemon();
    await expectCode(room.sender.send("m1", stopCommand("c-1"), options({ signal: AbortSignal.abort() })), Code.Canceled);
    expect(await room.store.getCommand("c-1")).toBeUndefined();
    await room.hub.deliverAck("c-1", { status: "ok", payload: {} });
    expect(room.unclaimedAcks).toEqual(["c-1"]);
  });

  it("does not miss an acknowledgement that arrives as the command is pushed, before anyone awaits it", async () => {
    const room = await roomWithSession();
    room.daemon();
    // A daemon so quick that its Acknowledge lands inside the push itself.
    const hub: DaemonHub = {
      ...room.hub,
      async send(machineId, command) {
        const pushed = await room.hub.send(machineId, command);
        await room.hub.deliverAck(command.commandId, { status: "ok", payload: { quick: true } });
        return pushed;
      },
    };
    const sender = createCommandSender({ store: room.store, hub });
    const sent = await sender.send("m1", stopCommand("c-1"), options({ timeoutMs: 50 }));
    expect(await sent?.ack).toEqual({ status: "ok", payload: { quick: true } });
  });
});
