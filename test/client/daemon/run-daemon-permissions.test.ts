import { appendFile, mkdtemp, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { commandJournalFile } from "../../../client/daemon/create-command-journal.js";
import type { DaemonOptions } from "../../../client/daemon/run-daemon.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { type TranscriptEntry, TranscriptEntryKind, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import type { FakeDaemonService } from "./fake-daemon-service.js";
import { type StartedDaemon, useDaemonTestBed } from "./use-daemon-test-bed.js";

// The daemon with the stand-in for Claude Code (test/fixtures/stand-in-agent.mjs), which starts the
// daemon's permission server (`wsctl daemon permission-server`, through tsx) from its --mcp-config
// and asks it before a `use:` tool call, against the in-memory fake DaemonService.

const token = "machine-token-1";
const bed = useDaemonTestBed(token);
const standIn = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/stand-in-agent.mjs");
let recordDir: string;

beforeAll(async () => {
  recordDir = await mkdtemp(path.join(bed.temp.base, "records-"));
  // The stand-in records its argv and permission checks here (the agents inherit the daemon's environment).
  process.env.STANDIN_RECORD_DIR = recordDir;
  // As Claude Code: the permission server starts with the agent, not at the first check.
  process.env.STANDIN_MCP_EAGER = "1";
});

const start = (options: Partial<DaemonOptions> = {}) => bed.startDaemon({ bins: { claude: standIn, codex: bed.agents.codex }, ...options });

const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
function launch(commandId: string, sessionId: string, prompt: string, permission?: { mode: string; timeoutMs?: number; defaultDecision?: string }) {
  const policy = permission && { mode: permission.mode, approvalTimeout: ms(permission.timeoutMs ?? 600_000), defaultDecision: permission.defaultDecision ?? "deny" };
  return {
    commandId,
    kind: {
      case: "launch" as const,
      value: { sessionId, workspaceId: "ws1", request: { workspaceId: "ws1", initialPrompt: prompt }, ...(policy ? { permission: policy } : {}) },
    },
  };
}
function answer(commandId: string, sessionId: string, requestId: string, decision: string, extra: Record<string, unknown> = {}) {
  return { commandId, kind: { case: "permissionAnswer" as const, value: { sessionId, request: { requestId, decision, decidedBy: "tok_1", ...extra } } } };
}

async function launched(daemon: StartedDaemon, sessionId: string, prompt: string, permission?: Parameters<typeof launch>[3]): Promise<number> {
  daemon.fake.push(launch(`launch-${sessionId}`, sessionId, prompt, permission));
  const ack = await daemon.fake.waitForAck(`launch-${sessionId}`);
  expect(ack.status, JSON.stringify(ack.payload)).toBe("ok");
  const pid = ack.payload?.pid as number;
  bed.leave(pid);
  return pid;
}

const kindIs = (kind: TranscriptEntryKind) => (entry: TranscriptEntry) => entry.kind === kind;
const waitForKind = (fake: FakeDaemonService, sessionId: string, kind: TranscriptEntryKind, text = "") =>
  fake.waitForTranscript(sessionId, (entries) => entries.some((e) => e.kind === kind && e.text.includes(text)));
const pendingRequest = async (fake: FakeDaemonService, sessionId: string) =>
  (await waitForKind(fake, sessionId, TranscriptEntryKind.PERMISSION_REQUEST)).find(kindIs(TranscriptEntryKind.PERMISSION_REQUEST))!;

/** The stand-in's record of `pid`. */
async function standInRecord(pid: number): Promise<{ argv: string[]; permissions: Record<string, unknown>[]; mcp?: unknown }> {
  const names = await readdir(recordDir);
  expect(names).toContain(`${pid}.json`);
  return JSON.parse(await readFile(path.join(recordDir, `${pid}.json`), "utf8"));
}

describe("runDaemon relaying permission requests", () => {
  it("forwards a request as PERMISSION_REQUEST; an allow makes the agent proceed, after a PERMISSION_DECISION", async () => {
    const daemon = await start();
    const pid = await launched(daemon, "s1", "use:Bash:rm -rf build", { mode: "default" });
    const request = await pendingRequest(daemon.fake, "s1");
    expect(request).toMatchObject({ role: TranscriptRole.SYSTEM, toolName: "Bash", toolInput: { command: "rm -rf build", description: "Run rm -rf build" } });
    const asked = request.permissionRequest!;
    expect(asked).toMatchObject({ sessionId: "s1", workspaceId: "ws1", toolName: "Bash", input: { command: "rm -rf build" }, reason: "Run rm -rf build", decision: "" });
    expect(asked.requestId).toMatch(/^prq_[0-9a-f]{20}$/);
    expect(asked.toolUseId).toMatch(/^toolu_/);
    expect(Number(asked.expireTime!.seconds - asked.createTime!.seconds)).toBe(600);
    const record = await standInRecord(pid);
    expect(record.argv).toEqual(expect.arrayContaining(["--permission-mode", "default", "--permission-prompt-tool", "mcp__wsctl__approve"]));
    expect(record.mcp).toEqual([{ name: "wsctl", status: "connected", tools: ["approve"] }]);

    daemon.fake.push(answer("a1", "s1", asked.requestId, "allow", { updatedInput: { command: "rm -rf build/tmp" } }));
    const ack = await daemon.fake.waitForAck("a1");
    expect(ack).toMatchObject({ status: "ok", payload: { request_id: asked.requestId, decision: "allow", decided_by: "tok_1" } });
    const entries = await waitForKind(daemon.fake, "s1", TranscriptEntryKind.RESULT, "used Bash");
    const kinds = entries.map((e) => e.kind);
    const decision = entries.find(kindIs(TranscriptEntryKind.PERMISSION_DECISION))!;
    expect(decision.permissionRequest).toMatchObject({ requestId: asked.requestId, decision: "allow", decidedBy: "tok_1", delivered: true, updatedInput: { command: "rm -rf build/tmp" } });
    const result = entries.find((e) => e.kind === TranscriptEntryKind.TOOL_RESULT && e.toolCallId === asked.toolUseId)!;
    expect(result).toMatchObject({ isError: false, text: '(stand-in) ran Bash: {"command":"rm -rf build/tmp"}' });
    // In the order they happened: the call, the request, the decision, then what the agent did.
    const order = [TranscriptEntryKind.TOOL_CALL, TranscriptEntryKind.PERMISSION_REQUEST, TranscriptEntryKind.PERMISSION_DECISION, TranscriptEntryKind.TOOL_RESULT];
    expect(kinds.filter((k) => order.includes(k))).toEqual(order);

    // A repeat of the delivered answer is ok again, and changes nothing.
    daemon.fake.push(answer("a2", "s1", asked.requestId, "deny"));
    expect(await daemon.fake.waitForAck("a2")).toMatchObject({ status: "ok", payload: { decision: "allow", already_decided: true } });
    expect((await standInRecord(pid)).permissions).toMatchObject([{ tool: "Bash", behavior: "allow", updatedInput: { command: "rm -rf build/tmp" } }]);
  });

  it("makes the agent give up the tool on a deny, with the deny's message", async () => {
    const daemon = await start();
    await launched(daemon, "s2", "use:Bash:git push --force", { mode: "accept_edits" });
    const asked = (await pendingRequest(daemon.fake, "s2")).permissionRequest!;
    daemon.fake.push(answer("a1", "s2", asked.requestId, "deny", { message: "not on main" }));
    expect((await daemon.fake.waitForAck("a1")).status).toBe("ok");
    const entries = await waitForKind(daemon.fake, "s2", TranscriptEntryKind.RESULT, "denied Bash");
    expect(entries.find(kindIs(TranscriptEntryKind.PERMISSION_DECISION))?.permissionRequest).toMatchObject({ decision: "deny", message: "not on main" });
    expect(entries.find(kindIs(TranscriptEntryKind.TOOL_RESULT))).toMatchObject({ isError: true, text: "not on main" });
    expect(entries.some((e) => e.text.includes("(stand-in) ran"))).toBe(false);
  });

  it("answers request_not_found for a request it never had", async () => {
    const daemon = await start();
    daemon.fake.push(answer("a1", "s-none", "prq_00000000000000000000", "allow"));
    expect(await daemon.fake.waitForAck("a1")).toMatchObject({ status: "error", payload: { error: { code: "request_not_found" } } });
  });

  it("delivers an answer sent after a daemon restart to the agent that asked before it", async () => {
    const stateDir = await bed.newStateDir();
    const first = await start({ stateDir, keepAgentsOnExit: true });
    const pid = await launched(first, "s3", "use:Bash:make deploy", { mode: "default" });
    const asked = (await pendingRequest(first.fake, "s3")).permissionRequest!;
    first.abort.abort();
    await first.done;
    // The first daemon got the answer and died before carrying it out: the journal holds it received, unfinished.
    const received = { v: 1, op: "received", command_id: "a1", kind: "permissionAnswer", session_id: "s3", at: new Date().toISOString() };
    await appendFile(commandJournalFile(stateDir, token), `${JSON.stringify(received)}\n`);

    const second = await start({ stateDir });
    expect(second.fake.subscribeRequests[0]?.runningSessions).toMatchObject([{ sessionId: "s3", pid }]);
    // The server sends it again: an answer is carried out again, not refused as interrupted.
    second.fake.push(answer("a1", "s3", asked.requestId, "allow"));
    expect(await second.fake.waitForAck("a1")).toMatchObject({ status: "ok", payload: { decision: "allow" } });
    const entries = await waitForKind(second.fake, "s3", TranscriptEntryKind.RESULT, "used Bash");
    // The request entry once (resent from the journal, not made again), then the decision.
    expect(entries.filter(kindIs(TranscriptEntryKind.PERMISSION_REQUEST))).toHaveLength(1);
    expect(entries.find(kindIs(TranscriptEntryKind.PERMISSION_DECISION))?.permissionRequest).toMatchObject({ requestId: asked.requestId, decision: "allow" });
    expect((await standInRecord(pid)).permissions).toMatchObject([{ tool: "Bash", behavior: "allow" }]);
  });

  it("applies the default decision itself when nobody answers past the expiry", async () => {
    const daemon = await start({ permissions: { fallbackMs: 200 } });
    await launched(daemon, "s4", "use:Bash:curl example.com", { mode: "default", timeoutMs: 1_000, defaultDecision: "deny" });
    const entries = await waitForKind(daemon.fake, "s4", TranscriptEntryKind.RESULT, "denied Bash");
    const decision = entries.find(kindIs(TranscriptEntryKind.PERMISSION_DECISION))!.permissionRequest!;
    expect(decision).toMatchObject({ decision: "deny", decidedBy: "timeout" });
    expect(decision.message).toContain("default decision (deny)");
    // A late answer finds the request decided.
    daemon.fake.push(answer("late", "s4", decision.requestId, "allow"));
    expect(await daemon.fake.waitForAck("late")).toMatchObject({ status: "ok", payload: { decision: "deny", decided_by: "timeout", already_decided: true } });
  });

  it("starts the agent in bypassPermissions with no permission server, and without a policy as before", async () => {
    const daemon = await start();
    const bypass = await launched(daemon, "s5", "use:Bash:ls", { mode: "bypass_permissions" });
    await waitForKind(daemon.fake, "s5", TranscriptEntryKind.RESULT, "used Bash");
    const plain = await launched(daemon, "s6", "use:Bash:ls");
    await waitForKind(daemon.fake, "s6", TranscriptEntryKind.RESULT, "denied Bash");
    const bypassed = await standInRecord(bypass);
    expect(bypassed.argv).toEqual(expect.arrayContaining(["--permission-mode", "bypassPermissions"]));
    expect(bypassed.argv).not.toContain("--mcp-config");
    expect((await standInRecord(plain)).argv.some((arg) => arg.startsWith("--permission") || arg === "--mcp-config")).toBe(false);
    for (const session of ["s5", "s6"]) {
      expect((daemon.fake.transcripts.get(session) ?? []).some(kindIs(TranscriptEntryKind.PERMISSION_REQUEST))).toBe(false);
    }
    await daemon.fake.waitForReport("s6", SessionState.RUNNING);
  });
});
