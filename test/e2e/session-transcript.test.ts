import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { pollUntil } from "../support/poll-until.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { waitForSessionState } from "./harness/wait-for-session-state.js";

// The transcript over REST, through a daemon restart, and under a flood of
// output, with a real server, a real daemon and the stand-in agent speaking
// Claude Code's stream-json.
let stack: Stack;
const sessionCap = 1024 * 1024;
beforeAll(async () => {
  // A startup window far longer than any test: launches are answered on the agent's proof of life.
  stack = await startStack({ daemonArgs: ["--transcript-session-bytes", String(sessionCap), "--startup-window-ms", "60000"] });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

interface Entry {
  offset: string;
  role: string;
  kind: string;
  text: string;
  truncated?: boolean;
}
interface Message {
  sequence: string;
  type: string;
  entry: Entry;
}

async function rest(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}${route}`, {
    method,
    headers: { Authorization: `Bearer ${stack.apiToken}`, "Content-Type": "application/json", ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function launch(prompt: string): Promise<{ sessionId: string; pid: number }> {
  const began = Date.now();
  const res = await rest("POST", "/sessions", seedRequest({ initial_prompt: prompt, worktree_name: null }));
  expect(res.status).toBe(200);
  expect(res.body.status).toBe("ok");
  // Acknowledged on the agent's `init`, not after the 60 s window.
  expect(Date.now() - began).toBeLessThan(10_000);
  const payload = res.body.payload as { session_id: string; pid: number };
  return { sessionId: payload.session_id, pid: payload.pid };
}

/** Every message of the session, paged forward 100 at a time. */
async function allMessages(sessionId: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let after = "0"; ; ) {
    const page = await rest("GET", `/sessions/${sessionId}/messages?after_sequence=${after}&page_size=100`);
    const messages = (page.body.messages ?? []) as Message[];
    // Proto JSON leaves out empty fields.
    for (const m of messages) m.entry.text ??= "";
    out.push(...messages);
    if (!page.body.has_more) return out;
    after = messages.at(-1)!.sequence;
  }
}

const recordOf = async (pid: number) =>
  JSON.parse(await readFile(path.join(stack.recordDir, `${pid}.json`), "utf8")) as { messages: string[] };

describe("the transcript over REST", () => {
  it("pages messages both ways, sends one once per Idempotency-Key, and refuses a session that ended", async () => {
    const { sessionId, pid } = await launch("hello over rest");
    await pollUntil(async () => (await allMessages(sessionId)).some((m) => m.entry.kind === "TRANSCRIPT_ENTRY_KIND_RESULT"), { what: "the first turn" });
    const all = await allMessages(sessionId);
    expect(all.map((m) => m.type).every((t) => t === "SESSION_EVENT_TYPE_TRANSCRIPT")).toBe(true);
    expect(all.map((m) => Number(m.entry.offset ?? 0))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(all[0]?.entry).toMatchObject({ role: "TRANSCRIPT_ROLE_USER", text: "hello over rest" });

    // A watch resumed from the middle of the transcript replays exactly the rest.
    const middle = all[3]!.sequence;
    const watched = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions/${sessionId}:watch?after_sequence=${middle}`, {
      headers: { Authorization: `Bearer ${stack.apiToken}` },
      signal: AbortSignal.timeout(3_000),
    }).then(async (res) => {
      const lines: Message[] = [];
      const reader = res.body!.getReader();
      let buffered = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += new TextDecoder().decode(value);
          while (buffered.includes("\n")) {
            const line = buffered.slice(0, buffered.indexOf("\n"));
            buffered = buffered.slice(line.length + 1);
            const event = JSON.parse(line) as Message;
            if (event.sequence !== "0" && event.sequence !== undefined) lines.push(event);
          }
          if (lines.filter((l) => l.type === "SESSION_EVENT_TYPE_TRANSCRIPT").length >= all.length - 4) break;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
      return lines;
    });
    const resumed = watched.filter((l) => l.type === "SESSION_EVENT_TYPE_TRANSCRIPT").map((l) => l.sequence);
    expect(resumed).toEqual(all.slice(4).map((m) => m.sequence));
    expect(watched.map((l) => Number(l.sequence))).toEqual(watched.map((_, i) => Number(middle) + 1 + i));

    const newest = await rest("GET", `/sessions/${sessionId}/messages?backward=true&page_size=2`);
    expect((newest.body.messages as Message[]).map((m) => m.sequence)).toEqual(all.slice(-2).map((m) => m.sequence));
    expect(newest.body.has_more).toBe(true);
    const older = await rest("GET", `/sessions/${sessionId}/messages?backward=true&page_size=100&before_sequence=${all.at(-2)!.sequence}`);
    expect((older.body.messages as Message[]).map((m) => m.sequence)).toEqual(all.slice(0, -2).map((m) => m.sequence));

    const key = { "Idempotency-Key": "rest-message-1" };
    const sent = await rest("POST", `/sessions/${sessionId}/messages`, { text: "exit:0:300" }, key);
    expect(sent.status).toBe(200);
    expect(sent.body.entry).toMatchObject({ offset: "7", role: "TRANSCRIPT_ROLE_USER", kind: "TRANSCRIPT_ENTRY_KIND_TEXT", text: "exit:0:300" });
    const again = await rest("POST", `/sessions/${sessionId}/messages`, { text: "exit:0:300" }, key);
    expect(again.body.entry).toEqual(sent.body.entry);
    await waitForSessionState(stack, sessionId, SessionState.EXITED);
    expect((await recordOf(pid)).messages).toEqual(["hello over rest", "exit:0:300"]);

    const late = await rest("POST", `/sessions/${sessionId}/messages`, { text: "hello?" });
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ code: "failed_precondition" });
    expect(String(late.body.message)).toMatch(/exited/);
    const empty = await rest("POST", `/sessions/${sessionId}/messages`, { text: "" });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe("invalid_argument");
  });
});

describe("a Codex session", () => {
  it("stays running between turns and runs each message as the next `codex exec resume` turn", async () => {
    const res = await rest("POST", "/sessions", {
      ...seedRequest({ initial_prompt: "first turn", worktree_name: null }),
      session_settings: { code: { default_provider: "codex", providers: { codex: { model: "gpt-5.1-codex-max" } } } },
    });
    expect(res.status).toBe(200);
    const { session_id: sessionId, pid, agent_session_id: threadId } = res.body.payload as { session_id: string; pid: number; agent_session_id: string };
    expect(threadId).toBe(`thread-${pid}`);
    const results = async () => (await allMessages(sessionId)).filter((m) => m.entry.kind === "TRANSCRIPT_ENTRY_KIND_RESULT").length;
    await pollUntil(async () => (await results()) === 1, { what: "the first turn" });
    // The turn's process has exited; the session has not.
    await pollUntil(async () => (await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "gone")) === "gone", { what: "the first turn's exit" });
    expect((await rest("GET", `/sessions/${sessionId}`)).body.session).toMatchObject({ state: "SESSION_STATE_RUNNING" });

    const sent = await rest("POST", `/sessions/${sessionId}/messages`, { text: "second turn" });
    expect(sent.status).toBe(200);
    await pollUntil(async () => (await results()) === 2, { what: "the second turn" });
    const texts = (await allMessages(sessionId)).map((m) => m.entry.text).filter((t) => t.startsWith("echo:") || t.endsWith("turn"));
    expect(texts).toEqual(["first turn", "echo: first turn", "second turn", "echo: second turn"]);
    const { readdir } = await import("node:fs/promises");
    const runs = await Promise.all(
      (await readdir(stack.recordDir)).map(async (f) => JSON.parse(await readFile(path.join(stack.recordDir, f), "utf8")) as { argv: string[] }),
    );
    const resumed = runs.find((r) => r.argv.includes("second turn"));
    expect(resumed?.argv.slice(resumed.argv.indexOf("resume"))).toEqual(["resume", threadId, "--", "second turn"]);
    const stopped = await rest("POST", `/sessions/${sessionId}:stop`, { grace_seconds: 2 });
    // Over REST with proto names: stopped, by this token, when.
    expect(stopped.body).toMatchObject({
      result: "STOP_RESULT_STOPPED",
      session: { state: "SESSION_STATE_STOPPED", exit_code: 0, stopped_by: stack.apiTokenId },
    });
    const stopTime = (stopped.body.session as { stop_time?: string }).stop_time;
    expect(Date.parse(String(stopTime))).toBeGreaterThan(Date.now() - 60_000);
    const listed = (await rest("GET", "/sessions?state=SESSION_STATE_STOPPED&page_size=100")).body as { sessions: { session_id: string }[] };
    expect(listed.sessions.map((s) => s.session_id)).toContain(sessionId);
  });
});

describe("a daemon restart in the middle of a transcript", () => {
  it("loses nothing and doubles nothing: every tick once, offsets without a gap", async () => {
    const ticks = 40;
    const { sessionId } = await launch(`ticks:${ticks}:40`);
    const tickCount = async () => (await allMessages(sessionId)).filter((m) => m.entry.text.startsWith("tick ")).length;
    await pollUntil(async () => (await tickCount()) >= 5, { what: "the first ticks" });
    await stack.daemon!.stop("SIGKILL");
    await stack.waitOnline(stack.machineId, false);
    // The agent ticks on while no daemon reads its output.
    await stack.startDaemon();
    await pollUntil(async () => (await allMessages(sessionId)).some((m) => m.entry.kind === "TRANSCRIPT_ENTRY_KIND_RESULT"), {
      what: "the end of the ticks",
      timeoutMs: 20_000,
    });
    const all = await allMessages(sessionId);
    expect(all.map((m) => Number(m.entry.offset ?? 0))).toEqual(all.map((_, i) => i));
    const texts = all.map((m) => m.entry.text).filter((t) => t.startsWith("tick "));
    expect(texts).toEqual(Array.from({ length: ticks }, (_, i) => `tick ${i + 1}`));
    await rest("POST", `/sessions/${sessionId}:stop`, { grace_seconds: 2 });
  });
});

describe("a flood of output", () => {
  it("keeps the transcript within its cap, marks the cut, still delivers the turn's result, in bounded memory", async () => {
    const flood = 10 * 1024 * 1024;
    const { sessionId } = await launch(`flood:${flood}`);
    await pollUntil(async () => (await allMessages(sessionId)).some((m) => m.entry.kind === "TRANSCRIPT_ENTRY_KIND_RESULT"), {
      what: "the flood's result",
      timeoutMs: 25_000,
    });
    const all = await allMessages(sessionId);
    const stored = all.reduce((n, m) => n + JSON.stringify(m.entry).length, 0);
    expect(stored).toBeLessThan(sessionCap + 128 * 1024);
    const notices = all.filter((m) => m.entry.kind === "TRANSCRIPT_ENTRY_KIND_ERROR" && m.entry.truncated);
    expect(notices).toHaveLength(1);
    // Each 256 KiB event was cut to the per-entry cap (64 KiB).
    expect(all.filter((m) => m.entry.role === "TRANSCRIPT_ROLE_ASSISTANT" && m.entry.kind === "TRANSCRIPT_ENTRY_KIND_TEXT").every((m) => m.entry.truncated)).toBe(true);
    expect(all.at(-1)?.entry).toMatchObject({ kind: "TRANSCRIPT_ENTRY_KIND_RESULT", text: "flooded" });
    // The daemon read 10 MiB without holding it: its peak resident memory stays far below what it read.
    const status = await readFile(`/proc/${stack.daemon!.child.pid}/status`, "utf8");
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    expect(peakKiB).toBeLessThan(200 * 1024);
    await rest("POST", `/sessions/${sessionId}:stop`, { grace_seconds: 2 });
  });
});
