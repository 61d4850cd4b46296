import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTranscriptForwarder, type TranscriptLimits } from "../../../../client/daemon/transcript/create-transcript-forwarder.js";
import { createTranscriptJournal } from "../../../../client/daemon/transcript/create-transcript-journal.js";
import type { DaemonEntry } from "../../../../client/daemon/transcript/transcript-entry.js";
import { pollUntil } from "../../../support/poll-until.js";

let dir: string;
let stdout: string;
const controllers: AbortController[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wsctl-forwarder-"));
  stdout = path.join(dir, "agent.stdout.log");
  writeFileSync(stdout, "");
});
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
  // A journal write already under way may still add a file: retried on ENOTEMPTY.
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
});

/** A server that stores each offset once, as the real one does; `down` makes it fail. */
function fakeServer() {
  const stored: DaemonEntry[] = [];
  const server = {
    stored,
    down: false,
    calls: 0,
    async send(from: number, entries: readonly DaemonEntry[]) {
      server.calls++;
      if (server.down) throw new Error("unavailable");
      if (from <= stored.length) stored.push(...entries.slice(stored.length - from));
      return stored.length;
    },
  };
  return server;
}

function forwarder(server: ReturnType<typeof fakeServer>, limits?: TranscriptLimits) {
  const controller = new AbortController();
  controllers.push(controller);
  return createTranscriptForwarder({
    sessionId: "s1",
    provider: "claude_code",
    stdoutPath: stdout,
    journal: createTranscriptJournal({ journal: path.join(dir, "s1.transcript.jsonl"), sent: path.join(dir, "s1.transcript.sent") }),
    send: (from, entries) => server.send(from, entries),
    limits,
    pollMs: 5,
    log: () => undefined,
    signal: controller.signal,
  });
}

const say = (text: string) => appendFileSync(stdout, `${JSON.stringify({ type: "assistant", message: { content: [{ type: "text", text }] } })}\n`);
const texts = (entries: DaemonEntry[]) => entries.map((e) => `${e.role}:${e.text}`);

describe("createTranscriptForwarder", () => {
  it("forwards the prompt, then stdout as it is written, then messages, in order", async () => {
    const server = fakeServer();
    const f = forwarder(server);
    await f.start("Fix it");
    say("looking");
    await pollUntil(() => server.stored.length === 2, { what: "two entries" });
    expect(await f.appendUser("and test it")).toBe(2);
    say("done");
    await pollUntil(() => server.stored.length === 4, { what: "four entries" });
    expect(texts(server.stored)).toEqual(["user:Fix it", "assistant:looking", "user:and test it", "assistant:done"]);
    f.stop();
  });

  it("keeps entries while the server is down and sends each once when it is back", async () => {
    const server = fakeServer();
    const f = forwarder(server);
    await f.start("go");
    server.down = true;
    for (let i = 0; i < 5; i++) say(`line ${i}`);
    await pollUntil(() => server.calls > 1, { what: "a failed send" });
    server.down = false;
    f.kick();
    await pollUntil(() => server.stored.length === 6, { what: "every entry" });
    expect(texts(server.stored)).toEqual(["user:go", ...[0, 1, 2, 3, 4].map((i) => `assistant:line ${i}`)]);
    f.stop();
  });

  it("resumes from its journal after a restart: nothing lost, nothing doubled", async () => {
    const server = fakeServer();
    const first = forwarder(server);
    await first.start("go");
    say("a");
    say("b");
    await pollUntil(() => server.stored.length === 3, { what: "three entries" });
    server.down = true;
    say("c");
    await pollUntil(() => server.calls > 2, { what: "a failed send" });
    first.stop();
    say("d");
    server.down = false;
    const second = forwarder(server);
    await second.start("go");
    say("e");
    await pollUntil(() => server.stored.length === 6, { what: "six entries" });
    await second.finish();
    expect(texts(server.stored)).toEqual(["user:go", "assistant:a", "assistant:b", "assistant:c", "assistant:d", "assistant:e"]);
  });

  it("bounds a flood: entries are cut, the session stops at its cap with one truncated notice, and the result still comes", async () => {
    const server = fakeServer();
    const f = forwarder(server, { maxEntryBytes: 4096, maxSessionBytes: 64 * 1024 });
    await f.start();
    const big = "x".repeat(256 * 1024);
    for (let i = 0; i < 40; i++) say(big);
    appendFileSync(stdout, `${"y".repeat(3 * 1024 * 1024)}\n`);
    appendFileSync(stdout, `${JSON.stringify({ type: "result", subtype: "success", result: "all done" })}\n`);
    await f.finish();
    const total = server.stored.reduce((n, e) => n + JSON.stringify(e).length, 0);
    expect(total).toBeLessThan(64 * 1024 + 2 * 4096);
    expect(server.stored.every((e) => JSON.stringify(e).length <= 4096)).toBe(true);
    expect(server.stored.slice(0, 3).every((e) => e.truncated)).toBe(true);
    const notices = server.stored.filter((e) => e.kind === "error" && e.truncated);
    expect(notices).toHaveLength(1);
    expect(server.stored.at(-1)).toMatchObject({ kind: "result", text: "all done" });
  });

  it("delivers the last line even without a newline when the agent is done", async () => {
    const server = fakeServer();
    const f = forwarder(server);
    await f.start();
    appendFileSync(stdout, "Error: unexpected end");
    await f.finish();
    expect(server.stored).toMatchObject([{ kind: "raw", text: "Error: unexpected end" }]);
  });
});
