import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { TranscriptEntryKind, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import { createInProcessApp, type InProcessApp, type TestDaemon } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { rejection } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

const auth = (extra: Record<string, string> = {}) => ({ headers: { ...env.headers(), ...extra } });
const text = (t: string) => ({ role: TranscriptRole.ASSISTANT, kind: TranscriptEntryKind.TEXT, text: t });

/** A running session launched with a prompt and settings on an acknowledging daemon. */
async function running(): Promise<{ sessionId: string; daemon: TestDaemon }> {
  env = await createInProcessApp();
  const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 42 } }) });
  const res = await env.sessions.launchWorkspaceSession(
    {
      workspaceId: "ws",
      initialPrompt: "Fix the bug",
      sessionSettings: { code: { defaultProvider: "claude_code", providers: { claudeCode: { model: "haiku" } } } },
    },
    auth(),
  );
  return { sessionId: String(res.payload?.session_id), daemon };
}

async function collect(sessionId: string, after: number, until: (types: string[]) => boolean) {
  const controller = new AbortController();
  const seen: { sequence: number; type: string; text: string }[] = [];
  for await (const e of env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId, afterSequence: BigInt(after) }, { ...auth(), signal: controller.signal })) {
    if (e.type === SessionEventType.HEARTBEAT) continue;
    seen.push({ sequence: Number(e.sequence), type: SessionEventType[e.type], text: e.entry?.text ?? "" });
    if (until(seen.map((s) => s.type))) break;
  }
  controller.abort();
  return seen;
}

describe("createWorkspaceSessionService", () => {
  describe("transcript", () => {
    it("stores the prompt and settings the session was launched with", async () => {
      const { sessionId } = await running();
      const { session } = await env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId }, auth());
      expect(session?.initialPrompt).toBe("Fix the bug");
      expect(session?.sessionSettings?.code?.providers?.claudeCode?.model).toBe("haiku");
    });

    it("carries the daemon's entries between state events on watch, replayable from the middle, doubling nothing resent", async () => {
      const { sessionId, daemon } = await running();
      expect(await daemon.appendTranscript(sessionId, 0, [text("one"), text("two")])).toBe(2);
      expect(await daemon.appendTranscript(sessionId, 1, [text("two"), text("three")])).toBe(3);
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
      const all = await collect(sessionId, 0, (t) => t.includes("EXITED"));
      expect(all.map((e) => e.type)).toEqual(["ACCEPTED", "DISPATCHED", "ACKNOWLEDGED", "TRANSCRIPT", "TRANSCRIPT", "TRANSCRIPT", "EXITED"]);
      expect(all.filter((e) => e.type === "TRANSCRIPT").map((e) => e.text)).toEqual(["one", "two", "three"]);
      expect(all.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const resumed = await collect(sessionId, 4, (t) => t.includes("EXITED"));
      expect(resumed.map((e) => `${e.sequence}${e.text}`)).toEqual(["5two", "6three", "7"]);
    });

    it("answers a gap with the offset it expects and refuses another machine's session", async () => {
      const { sessionId, daemon } = await running();
      expect(await daemon.appendTranscript(sessionId, 3, [text("late")])).toBe(0);
      const other = await env.daemon({ machineId: "m2" });
      await rejection(other.appendTranscript(sessionId, 0, [text("x")]), Code.NotFound);
    });

    it("pages the messages forward and backward", async () => {
      const { sessionId, daemon } = await running();
      await daemon.appendTranscript(sessionId, 0, ["a", "b", "c", "d"].map(text));
      const page = (extra: Record<string, unknown>) =>
        env.sessions.listSessionMessages({ workspaceId: "ws", sessionId, pageSize: 2, ...extra }, auth());
      const first = await page({});
      expect(first.messages.map((m) => m.entry?.text)).toEqual(["a", "b"]);
      expect(first.hasMore).toBe(true);
      expect(first.lastSequence).toBe(7n);
      const next = await page({ afterSequence: first.messages[1]!.sequence });
      expect(next.messages.map((m) => m.entry?.text)).toEqual(["c", "d"]);
      expect(next.hasMore).toBe(false);
      const newest = await page({ backward: true });
      expect(newest.messages.map((m) => m.entry?.text)).toEqual(["c", "d"]);
      expect(newest.hasMore).toBe(true);
      const older = await page({ backward: true, beforeSequence: newest.messages[0]!.sequence });
      expect(older.messages.map((m) => m.entry?.text)).toEqual(["a", "b"]);
      expect(older.hasMore).toBe(false);
      await rejection(page({ pageSize: 5000 }), Code.InvalidArgument);
    });
  });

  describe("sendSessionMessage", () => {
    it("sends a message command and answers once the daemon accepted it", async () => {
      const { sessionId, daemon } = await running();
      const sent = env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "and the tests" }, auth());
      await pollUntil(() => daemon.commands.some((c) => c.kind.case === "message"), { what: "the message command" });
      const command = daemon.commands.find((c) => c.kind.case === "message")!;
      expect(command.kind.value).toMatchObject({ sessionId, text: "and the tests" });
      await daemon.acknowledge(command.commandId, "ok", { offset: 7 });
      const res = await sent;
      expect(res.entry).toMatchObject({ offset: 7n, role: TranscriptRole.USER, kind: TranscriptEntryKind.TEXT, text: "and the tests" });
      expect(res.session?.state).toBe(SessionState.RUNNING);
    });

    it("answers failed_precondition naming the state of a session that is not running", async () => {
      const { sessionId, daemon } = await running();
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
      const error = await rejection(env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "hello?" }, auth()), Code.FailedPrecondition);
      expect(error.rawMessage).toMatch(/is exited/);
      expect(daemon.commands.filter((c) => c.kind.case === "message")).toEqual([]);
    });

    it("maps the daemon's agent_not_running to failed_precondition", async () => {
      const { sessionId, daemon } = await running();
      const sent = env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "hi" }, auth());
      await pollUntil(() => daemon.commands.some((c) => c.kind.case === "message"), { what: "the message command" });
      const command = daemon.commands.find((c) => c.kind.case === "message")!;
      await daemon.acknowledge(command.commandId, "error", { error: { code: "agent_not_running", message: "no agent" } });
      await rejection(sent, Code.FailedPrecondition);
    });

    it("sends once for one Idempotency-Key and answers the retry with the first result", async () => {
      const { sessionId, daemon } = await running();
      const key = { "Idempotency-Key": "msg-1" };
      const sent = env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "once" }, auth(key));
      await pollUntil(() => daemon.commands.some((c) => c.kind.case === "message"), { what: "the message command" });
      const command = daemon.commands.find((c) => c.kind.case === "message")!;
      await daemon.acknowledge(command.commandId, "ok", { offset: 3 });
      await sent;
      const again = await env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "once" }, auth(key));
      expect(again.entry?.offset).toBe(3n);
      expect(daemon.commands.filter((c) => c.kind.case === "message")).toHaveLength(1);
      await rejection(env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "other" }, auth(key)), Code.InvalidArgument);
    });

    it("refuses an empty text and an offline machine", async () => {
      const { sessionId, daemon } = await running();
      await rejection(env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: " " }, auth()), Code.InvalidArgument);
      await daemon.stop();
      // Offline, the session is unknown: not running.
      await rejection(env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId, text: "hi" }, auth()), Code.FailedPrecondition);
    });
  });
});
