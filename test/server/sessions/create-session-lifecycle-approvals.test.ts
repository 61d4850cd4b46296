import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord, SessionStateName } from "../../../server/store/store.js";
import { historyOf, openSessionRoom, type SessionRoom, storeSession } from "./session-fixtures.js";

let room: SessionRoom;
beforeEach(async () => {
  room = await openSessionRoom();
});
afterEach(async () => {
  await room.store.close();
});

const inState = (state: SessionStateName, init: Partial<SessionRecord> = {}) =>
  storeSession(room.store, { sessionId: "s-1", state, provider: "claude_code", model: "opus", pid: 11, ...init });
const row = (sessionId = "s-1") => room.store.getSessionById(sessionId);
const okAck = { status: "ok", payload: { session_id: "s-1", pid: 42 } };

async function expectUnchanged(before: SessionRecord, result: Promise<SessionRecord | undefined>) {
  expect(await result).toBeUndefined();
  expect(await row(before.sessionId)).toEqual(before);
  expect(await historyOf(room.store, before.sessionId)).toEqual([]);
}

describe("createSessionLifecycle", () => {
describe("awaitingApproval", () => {
  const entry = { offset: 3, role: "system" as const, kind: "permission_request" as const, text: "", toolName: "Bash" };

  it("moves a running session to awaiting_approval with an event carrying the entry", async () => {
    await inState("running");
    const moved = await room.lifecycle.awaitingApproval("s-1", entry, "the agent asks to use Bash");
    expect(moved?.state).toBe("awaiting_approval");
    const [event] = await room.store.listSessionEvents("s-1", 0);
    expect(event).toMatchObject({ type: "awaiting_approval", state: "awaiting_approval", message: "the agent asks to use Bash", entry });
  });

  it("records a second request without leaving awaiting_approval", async () => {
    await inState("awaiting_approval");
    expect((await room.lifecycle.awaitingApproval("s-1", entry, "again"))?.state).toBe("awaiting_approval");
    expect(await historyOf(room.store, "s-1")).toEqual([[1, "awaiting_approval", "awaiting_approval"]]);
  });

  it("refuses a session that is not running, writing nothing", async () => {
    const before = await inState("unknown");
    await expectUnchanged(before, room.lifecycle.awaitingApproval("s-1", entry, "x"));
  });
});

describe("approvalsSettled", () => {
  it("moves awaiting_approval back to running with a RUNNING event once nothing is pending", async () => {
    await inState("awaiting_approval");
    const moved = await room.lifecycle.approvalsSettled("s-1", "Bash allowed by tok_a", async () => false);
    expect(moved?.state).toBe("running");
    expect(await room.store.listSessionEvents("s-1", 0)).toEqual([
      expect.objectContaining({ type: "running", state: "running", message: "Bash allowed by tok_a" }),
    ]);
  });

  it("stays awaiting_approval while another request is pending", async () => {
    const before = await inState("awaiting_approval");
    await expectUnchanged(before, room.lifecycle.approvalsSettled("s-1", "x", async () => true));
  });

  it("leaves a session that is no longer waiting alone", async () => {
    const before = await inState("exited");
    await expectUnchanged(before, room.lifecycle.approvalsSettled("s-1", "x", async () => false));
  });
});

describe("awaiting_approval as running", () => {
  it("is lost, and vanishes, like a running session", async () => {
    await inState("awaiting_approval", { acknowledgement: okAck });
    await room.lifecycle.machineOffline("m-1");
    expect((await row())?.state).toBe("unknown");
    await room.lifecycle.machineOnline("m-1", []);
    expect((await row())?.state).toBe("failed");
  });

  it("ends on the daemon's exit report", async () => {
    const s = await inState("awaiting_approval");
    expect((await room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 }))?.state).toBe("exited");
  });
});
});
