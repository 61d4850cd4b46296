import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStdinFifo, openStdinForAgent, userEventLine, writeUserEvent } from "../../../client/daemon/agent-stdin.js";
import { pollUntil } from "../../support/poll-until.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wsctl-stdin-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A reader that prints every line of its stdin to stdout, as a stream-json agent reads its input. */
function startReader(fifo: string) {
  const fd = openStdinForAgent(fifo);
  const child = spawn(process.execPath, ["-e", "process.stdin.on('data', (d) => process.stdout.write(d))"], { stdio: [fd, "pipe", "ignore"] });
  closeSync(fd);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return { child, out: () => out };
}

describe("writeUserEvent", () => {
  it("writes each message as one stream-json user event to the agent's stdin FIFO, in order", async () => {
    const fifo = path.join(dir, "s.stdin");
    createStdinFifo(fifo);
    expect(statSync(fifo).isFIFO()).toBe(true);
    const reader = startReader(fifo);
    await writeUserEvent(fifo, "first");
    await writeUserEvent(fifo, "second\nline");
    await pollUntil(() => reader.out().split("\n").length >= 3, { what: "two events read" });
    const events = reader.out().trim().split("\n").map((l) => JSON.parse(l));
    expect(events).toEqual([JSON.parse(userEventLine("first")), JSON.parse(userEventLine("second\nline"))]);
    expect(events[0]).toMatchObject({ type: "user", message: { role: "user", content: [{ type: "text", text: "first" }] } });
    reader.child.kill();
  });

  it("answers agent_not_running once no process reads the FIFO", async () => {
    const fifo = path.join(dir, "s.stdin");
    createStdinFifo(fifo);
    await expect(writeUserEvent(fifo, "anyone?")).rejects.toMatchObject({ code: "agent_not_running" });
    await expect(writeUserEvent(path.join(dir, "missing"), "x")).rejects.toMatchObject({ code: "agent_not_running" });
  });
});
