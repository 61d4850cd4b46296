import { readFile } from "node:fs/promises";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SessionEvent, SessionEventType, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { TranscriptEntryKind, TranscriptRole } from "../../gen/workspaces/v1/transcript_pb.js";
import { StopResult, WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { allStreamClients, collect, launchRequest, type StreamClient } from "./harness/stream-clients.js";

let stack: Stack;
let streams: StreamClient[];

beforeAll(async () => {
  stack = await startStack({ keepaliveMs: 300 });
  streams = allStreamClients(stack.url);
}, 60_000);
afterAll(async () => {
  for (const s of streams ?? []) s.close?.();
  await stack?.stop();
});

function sessions() {
  return createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: stack.url, httpVersion: "1.1" }));
}
const auth = () => ({ headers: { Authorization: `Bearer ${stack.apiToken}` } });
const { ACCEPTED, DISPATCHED, ACKNOWLEDGED, RUNNING, EXITED, FAILED, HEARTBEAT, TRANSCRIPT } = SessionEventType;
/** The state events of a stream, without the transcript entries between them. */
const stateEvents = (events: readonly SessionEvent[]) => events.filter((e) => e.type !== TRANSCRIPT);
/** 1, 2, … n: the sequences of a whole history. */
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1));

const protocols = [
  "gRPC (@grpc/grpc-js)",
  "gRPC (Connect transport, HTTP/2)",
  "gRPC-Web over HTTP/1.1",
  "gRPC-Web over HTTP/2",
  "Connect JSON over HTTP/1.1",
  "Connect binary over HTTP/2",
];
const stream = (name: string) => streams.find((s) => s.name === name)!;

describe.each(protocols)("LaunchWorkspaceSessionStream over %s", (protocol) => {
  it("follows a launch through accepted, dispatched, acknowledged, running and exited(0), its transcript between", async () => {
    const all = await collect(stream(protocol).launchStream(stack.workspaceId, seedRequest({ initial_prompt: "exit:0:600" }), stack.apiToken));
    expect(all.map((e) => e.sequence)).toEqual(oneTo(all.length));
    const events = stateEvents(all);
    expect(events.map((e) => e.type)).toEqual([ACCEPTED, DISPATCHED, ACKNOWLEDGED, RUNNING, EXITED]);
    const transcript = all.filter((e) => e.type === TRANSCRIPT).map((e) => e.entry);
    expect(transcript.map((e) => [e?.offset, e?.role, e?.kind])).toEqual([
      [0n, TranscriptRole.USER, TranscriptEntryKind.TEXT],
      [1n, TranscriptRole.SYSTEM, TranscriptEntryKind.TEXT],
    ]);
    expect(transcript[0]?.text).toBe("exit:0:600");
    expect(transcript[1]?.detail?.subtype).toBe("init");
    // The agent's last words come before its end.
    expect(all.at(-1)?.type).toBe(EXITED);
    const sessionId = events[0]!.sessionId;
    for (const e of events) {
      expect(e.sessionId).toBe(sessionId);
      expect(e.machineId).toBe(stack.machineId);
      expect(e.time).toBeDefined();
    }
    expect(events[2]!.acknowledgement?.status).toBe("ok");
    expect(events[2]!.acknowledgement?.payload?.session_id).toBe(sessionId);
    expect(events[4]!.exitCode).toBe(0);
    expect(events[4]!.state).toBe(SessionState.EXITED);
  });

  it("ends with failed for an agent that dies", async () => {
    const events = stateEvents(await collect(stream(protocol).launchStream(stack.workspaceId, seedRequest({ initial_prompt: "die:500" }), stack.apiToken)));
    expect(events.map((e) => e.type)).toEqual([ACCEPTED, DISPATCHED, ACKNOWLEDGED, RUNNING, FAILED]);
    expect(events[4]!.message).toContain("SIGKILL");
  });

  it("resumes a watch from a sequence number with no gap and no duplicate", async () => {
    const controller = new AbortController();
    const first = await collect(
      stream(protocol).launchStream(stack.workspaceId, seedRequest({ initial_prompt: "exit:0:1200" }), stack.apiToken, controller.signal),
      { max: 3 },
    );
    controller.abort();
    expect(first.map((e) => e.sequence)).toEqual([1n, 2n, 3n]);
    const rest = await collect(stream(protocol).watch({ workspaceId: stack.workspaceId, sessionId: first[0]!.sessionId, afterSequence: 3n }, stack.apiToken));
    expect(rest.map((e) => e.sequence)).toEqual(oneTo(rest.length + 3).slice(3));
    const replay = await collect(stream(protocol).watch({ workspaceId: stack.workspaceId, sessionId: first[0]!.sessionId }, stack.apiToken));
    expect(replay.map((e) => e.sequence)).toEqual(oneTo(replay.length));
    expect(replay.slice(3)).toEqual(rest);
    expect(stateEvents(replay).map((e) => e.type)).toEqual([ACCEPTED, DISPATCHED, ACKNOWLEDGED, RUNNING, EXITED]);
  });

  it("sends keep-alive heartbeats on an idle stream and ends cleanly when the caller cancels", async () => {
    const launched = await sessions().launchWorkspaceSession(launchRequest(stack.workspaceId, seedRequest()), auth());
    const sessionId = String(launched.payload?.session_id);
    const controller = new AbortController();
    const seen: SessionEventType[] = [];
    try {
      for await (const e of stream(protocol).watch({ workspaceId: stack.workspaceId, sessionId }, stack.apiToken, controller.signal)) {
        seen.push(e.type);
        if (e.type === HEARTBEAT) {
          expect(e.sequence).toBe(0n);
          if (seen.filter((t) => t === HEARTBEAT).length === 2) controller.abort();
        }
      }
    } catch {
      // The cancel surfaces as an error on some clients; that is the caller's own doing.
    }
    expect(seen.slice(0, 3)).toEqual([ACCEPTED, DISPATCHED, ACKNOWLEDGED]);
    expect(seen.filter((t) => t === HEARTBEAT).length).toBe(2);
    await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId, graceSeconds: 1 }, auth());
  });
});

describe("WatchWorkspaceSession over REST", () => {
  it("streams newline-delimited JSON events with proto names", async () => {
    const events = await collect(stream("Connect JSON over HTTP/1.1").launchStream(stack.workspaceId, seedRequest({ initial_prompt: "exit:0:100" }), stack.apiToken));
    const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions/${events[0]!.sessionId}:watch?after_sequence=2`, {
      headers: { Authorization: `Bearer ${stack.apiToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as { sequence: string; type: string; session_id: string; entry?: { role: string; text: string } });
    const states = lines.filter((l) => l.type !== "SESSION_EVENT_TYPE_TRANSCRIPT");
    expect(states.map((l) => l.type)).toEqual(["SESSION_EVENT_TYPE_ACKNOWLEDGED", "SESSION_EVENT_TYPE_RUNNING", "SESSION_EVENT_TYPE_EXITED"]);
    expect(lines[0]!.session_id).toBe(events[0]!.sessionId);
    // The transcript rides along as proto-named JSON too.
    const system = lines.find((l) => l.type === "SESSION_EVENT_TYPE_TRANSCRIPT" && l.entry?.role === "TRANSCRIPT_ROLE_SYSTEM");
    expect(system?.entry?.text).toMatch(/^session .* started/);
  });
});

describe("StopWorkspaceSession", () => {
  it("sends SIGTERM, ends the session stopped by the caller's token, and agrees with the stream and GetWorkspaceSession", async () => {
    const launched = await sessions().launchWorkspaceSession(launchRequest(stack.workspaceId, seedRequest()), auth());
    const sessionId = String(launched.payload?.session_id);
    const watching = collect(stream("Connect binary over HTTP/2").watch({ workspaceId: stack.workspaceId, sessionId }, stack.apiToken));
    const stopped = await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId, graceSeconds: 5 }, auth());
    expect(stopped.result).toBe(StopResult.STOPPED);
    const record = JSON.parse(await readFile(path.join(stack.recordDir, `${launched.payload?.pid}.json`), "utf8")) as { signals: string[] };
    expect(record.signals).toEqual(["SIGTERM"]);
    const events = await watching;
    const got = await sessions().getWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, auth());
    expect(got.session).toMatchObject({ state: SessionState.STOPPED, stoppedBy: stack.apiTokenId, pid: 0 });
    expect(got.session?.stopTime).toBeDefined();
    expect(events.at(-1)).toMatchObject({ type: SessionEventType.STOPPED, state: SessionState.STOPPED });
    expect(events.at(-1)?.message).toContain(`stopped by ${stack.apiTokenId}`);
    expect(stopped.session).toEqual(got.session);
    const again = await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, auth());
    expect(again.result).toBe(StopResult.ALREADY_EXITED);
  });

  it("kills an agent that ignores SIGTERM after the grace", async () => {
    const launched = await sessions().launchWorkspaceSession(launchRequest(stack.workspaceId, seedRequest({ initial_prompt: "ignore-term" })), auth());
    const sessionId = String(launched.payload?.session_id);
    const pid = Number(launched.payload?.pid);
    const started = Date.now();
    const stopped = await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId, graceSeconds: 1 }, auth());
    expect(stopped.result).toBe(StopResult.STOPPED);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(() => process.kill(pid, 0)).toThrow();
    const record = JSON.parse(await readFile(path.join(stack.recordDir, `${pid}.json`), "utf8")) as { signals: string[] };
    expect(record.signals).toEqual(["SIGTERM"]);
    // Killed by the stop's SIGKILL: stopped, not failed; the event says how it ended.
    const got = await sessions().getWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, auth());
    expect(got.session).toMatchObject({ state: SessionState.STOPPED, stoppedBy: stack.apiTokenId, errorMessage: "" });
    const events = await collect(stream("gRPC-Web over HTTP/1.1").watch({ workspaceId: stack.workspaceId, sessionId }, stack.apiToken));
    expect(events.at(-1)?.type).toBe(SessionEventType.STOPPED);
    expect(events.at(-1)?.message).toContain("SIGKILL");
  });
});
