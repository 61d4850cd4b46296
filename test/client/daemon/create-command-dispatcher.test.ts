import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { commandJournalFile } from "../../../client/daemon/create-command-journal.js";
import type { DaemonOptions } from "../../../client/daemon/run-daemon.js";
import { type WsctlProcess, spawnWsctl, standInAgent } from "../../e2e/harness/spawn-wsctl.js";
import { pollUntil } from "../../support/poll-until.js";
import type { FakeDaemonService } from "./fake-daemon-service.js";
import { type StartedDaemon, useDaemonTestBed } from "./use-daemon-test-bed.js";
import { isAlive } from "./stand-in-agents.js";
import { serveFakeDaemonService } from "./serve-fake-daemon-service.js";

// The dispatcher through runDaemon: each command id is carried out at most
// once, across redeliveries, reconnects and restarts. Spawns are counted with
// the stand-in agents, which record every start.

const token = "machine-token-1";
const bed = useDaemonTestBed(token);

/** A daemon that, when stopped, leaves its agents to the next one, like one that dies. */
const startDaemon = (stateDir: string, options: Partial<DaemonOptions> = {}) =>
  bed.startDaemon({ stateDir, keepAgentsOnExit: true, ...options });

async function restart(daemon: StartedDaemon, stateDir: string): Promise<StartedDaemon> {
  daemon.abort.abort();
  await daemon.done;
  return startDaemon(stateDir);
}

/** A launch whose prompt names it, so the stand-in's records tell which command started it. */
function launch(commandId: string, sessionId: string, extra: { deadline?: number; workspaceId?: string } = {}) {
  const workspaceId = extra.workspaceId ?? "ws1";
  return {
    commandId,
    kind: {
      case: "launch" as const,
      value: {
        sessionId,
        workspaceId,
        request: { workspaceId, initialPrompt: `prompt-${commandId}` },
        ...(extra.deadline !== undefined ? { deadline: timestampFromMs(extra.deadline) } : {}),
      },
    },
  };
}

/** How many agents the launch `commandId` started. */
const spawnsOf = async (commandId: string) =>
  (await bed.agents.records()).filter((r) => r.argv.at(-1) === `prompt-${commandId}`).length;

const acksOf = (fake: FakeDaemonService, commandId: string) => fake.acks.filter((a) => a.commandId === commandId);
const waitForAcks = (fake: FakeDaemonService, commandId: string, count: number) =>
  pollUntil(() => acksOf(fake, commandId).length >= count, { timeoutMs: 10_000, what: `${count} acks of ${commandId}` });
const newStateDir = () => bed.newStateDir();
const journalText = (stateDir: string) => readFile(commandJournalFile(stateDir, token), "utf8");

async function launched(daemon: StartedDaemon, commandId: string, sessionId: string) {
  daemon.fake.push(launch(commandId, sessionId));
  const ack = await daemon.fake.waitForAck(commandId);
  expect(ack.status).toBe("ok");
  bed.leave(ack.payload?.pid as number);
  await pollUntil(async () => (await spawnsOf(commandId)) === 1, { timeoutMs: 10_000, what: `the start of ${commandId}` });
  return ack;
}

describe("createCommandDispatcher", () => {
  it("answers a command delivered again in the same run with its first acknowledgement, starting one agent", async () => {
    const stateDir = await newStateDir();
    const daemon = await startDaemon(stateDir);
    // Twice before it is done, and once after.
    daemon.fake.push(launch("same-run-c1", "s1"));
    daemon.fake.push(launch("same-run-c1", "s1"));
    await waitForAcks(daemon.fake, "same-run-c1", 2);
    bed.leave(acksOf(daemon.fake, "same-run-c1")[0]?.payload?.pid as number);
    daemon.fake.push(launch("same-run-c1", "s1"));
    await waitForAcks(daemon.fake, "same-run-c1", 3);
    const [first, ...again] = acksOf(daemon.fake, "same-run-c1");
    expect(first?.status).toBe("ok");
    for (const ack of again) expect({ status: ack.status, payload: ack.payload }).toEqual({ status: "ok", payload: first?.payload });
    // The stand-in records its start a moment after the acknowledgement.
    await pollUntil(async () => (await spawnsOf("same-run-c1")) > 0, { timeoutMs: 10_000, what: "the agent's start" });
    expect(await spawnsOf("same-run-c1")).toBe(1);
  });

  it("answers a command delivered again after a restart with its first acknowledgement, without carrying it out", async () => {
    const stateDir = await newStateDir();
    const first = await startDaemon(stateDir);
    const ok = await launched(first, "restart-c1", "s1");
    first.fake.push(launch("restart-c2", "s2", { workspaceId: "nowhere" }));
    const refused = await first.fake.waitForAck("restart-c2");
    expect(refused.payload?.error).toMatchObject({ code: "unknown_workspace" });

    const second = await restart(first, stateDir);
    second.fake.push(launch("restart-c1", "s1"));
    second.fake.push(launch("restart-c2", "s2", { workspaceId: "nowhere" }));
    expect(await second.fake.waitForAck("restart-c1")).toMatchObject({ status: "ok", payload: ok.payload });
    expect(await second.fake.waitForAck("restart-c2")).toMatchObject({ status: "error", payload: refused.payload });
    expect(await spawnsOf("restart-c1")).toBe(1);
    expect(second.logs.join("\n")).toContain("launch command restart-c1 session s1 was carried out before");
  });

  it("answers an interrupted launch whose agent runs with ok and what is known of it, and never runs it again", async () => {
    const stateDir = await newStateDir();
    const first = await startDaemon(stateDir);
    const ok = await launched(first, "interrupted-c1", "s1");
    first.abort.abort();
    await first.done;
    // As if the daemon had died after starting the agent but before recording the result.
    const journal = commandJournalFile(stateDir, token);
    const kept = (await readFile(journal, "utf8")).split("\n").filter((line) => !line.includes('"op":"result"'));
    await writeFile(journal, kept.join("\n"));

    const second = await startDaemon(stateDir);
    second.fake.push(launch("interrupted-c1", "s1"));
    const ack = await second.fake.waitForAck("interrupted-c1");
    expect(ack).toMatchObject({ status: "ok", payload: ok.payload });
    second.fake.push(launch("interrupted-c1", "s1"));
    await waitForAcks(second.fake, "interrupted-c1", 2);
    expect(acksOf(second.fake, "interrupted-c1")[1]?.payload).toEqual(ack.payload);
    expect(await spawnsOf("interrupted-c1")).toBe(1);
    expect(second.logs.join("\n")).toContain("interrupted by a daemon restart");
  });

  it("answers an interrupted command with no agent `interrupted`, and never runs it", async () => {
    const stateDir = await newStateDir();
    const journal = commandJournalFile(stateDir, token);
    await mkdir(path.dirname(journal), { recursive: true });
    const at = new Date().toISOString();
    await writeFile(
      journal,
      `${JSON.stringify({ v: 1, op: "received", command_id: "no-agent-c9", kind: "launch", session_id: "s9", at })}\n`,
    );
    const daemon = await startDaemon(stateDir);
    daemon.fake.push(launch("no-agent-c9", "s9"));
    const ack = await daemon.fake.waitForAck("no-agent-c9");
    expect(ack).toMatchObject({
      status: "error",
      payload: { error: { code: "interrupted", message: expect.stringContaining("no agent of session s9") } },
    });

    const again = await restart(daemon, stateDir);
    again.fake.push(launch("no-agent-c9", "s9"));
    expect((await again.fake.waitForAck("no-agent-c9")).payload).toEqual(ack.payload);
    expect(await spawnsOf("no-agent-c9")).toBe(0);
    expect(await journalText(stateDir)).toContain('"op":"result","command_id":"no-agent-c9","status":"error"');
  });

  it("does not start a launch that arrives after its deadline, and answers its redelivery the same", async () => {
    const stateDir = await newStateDir();
    const daemon = await startDaemon(stateDir);
    daemon.fake.push(launch("expired-c1", "s1", { deadline: Date.now() - 1_000 }));
    const ack = await daemon.fake.waitForAck("expired-c1");
    expect(ack).toMatchObject({
      status: "error",
      payload: { error: { code: "deadline_exceeded", message: expect.stringContaining("after its deadline") } },
    });

    // Redelivered after the deadline: the same answer, from the journal.
    const again = await restart(daemon, stateDir);
    again.fake.push(launch("expired-c1", "s1", { deadline: Date.now() - 1_000 }));
    expect((await again.fake.waitForAck("expired-c1")).payload).toEqual(ack.payload);
    expect(await spawnsOf("expired-c1")).toBe(0);

    // One before its deadline starts.
    await launched(again, "expired-c2", "s2");
  });
});

describe("createCommandDispatcher in a daemon killed with SIGKILL", () => {
  const daemons: WsctlProcess[] = [];

  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.stop("SIGKILL");
  });

  it("adopts the agent of a launch interrupted during its startup window instead of starting another", async () => {
    const server = await serveFakeDaemonService({ token });
    bed.onCleanup(() => server.kill());
    const { fake } = server;
    const stateDir = await newStateDir();
    const recordDir = await mkdtemp(path.join(bed.temp.base, "records-"));
    const startWsctlDaemon = () => {
      const args = ["daemon", "--server", server.url, "--workspace-root", `ws1=${bed.temp.repo}`, "--state-dir", stateDir];
      // A startup window far longer than the test: the daemon dies inside it.
      const daemon = spawnWsctl([...args, "--startup-window-ms", "120000"], {
        env: { WSCTL_TOKEN: token, WSCTL_CLAUDE_BIN: standInAgent, STANDIN_RECORD_DIR: recordDir },
      });
      daemons.push(daemon);
      return daemon;
    };
    const starts = () => readdir(recordDir);
    const first = startWsctlDaemon();
    await first.waitFor(/command stream open|subscribing/);
    await fake.waitForSubscribes(1);
    fake.push(launch("killed-c1", "s1"));
    const [started] = await pollUntil(async () => {
      const names = await starts();
      return names.length > 0 ? names : undefined;
    }, { timeoutMs: 15_000, what: "the stand-in agent's start" });
    const pid = Number.parseInt(started!, 10);
    bed.leave(pid);
    // Its registry entry is written as soon as the process exists (the agent is still in its startup window).
    const entry = path.join(stateDir, "agents", "s1.json");
    await pollUntil(() => readFile(entry, "utf8").then(() => true, () => false), { timeoutMs: 10_000, what: entry });
    await first.stop("SIGKILL");
    expect(fake.acks).toEqual([]);
    expect(isAlive(pid)).toBe(true);

    const second = startWsctlDaemon();
    await fake.waitForSubscribes(2);
    expect(fake.subscribeRequests[1]?.runningSessions).toMatchObject([{ sessionId: "s1", pid }]);
    fake.push(launch("killed-c1", "s1"));
    const ack = await fake.waitForAck("killed-c1");
    expect(ack).toMatchObject({ status: "ok", payload: { pid, work_dir: bed.temp.repo, provider: "claude_code" } });
    expect(await starts()).toHaveLength(1);
    await second.waitFor(/interrupted by a daemon restart/);
  });
});
