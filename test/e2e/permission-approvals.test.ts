import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../client/wsctl/main.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { runCli } from "../client/fake-workspace-server.js";
import { pollUntil } from "../support/poll-until.js";
import {
  launchWithPermissions,
  pendingRequests,
  permissionLaunchBody,
  waitForAgentChecks,
  waitForPending,
  workspaceRest,
} from "./harness/permission-helpers.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { waitForSessionState } from "./harness/wait-for-session-state.js";

// Approvals end to end: a real server, a real daemon, and the stand-in agent
// asking its --permission-prompt-tool (the daemon's stdio MCP server) as
// Claude Code does. Runs on SQLite (e2e) and PostgreSQL (e2e-postgres).
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ daemonArgs: ["--startup-window-ms", "60000"] });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

/** Runs a wsctl client verb in process against the stack; resolves with its exit code and output. */
const wsctl = (...args: string[]) => runCli(main, [...args, "--server", stack.url, "--token", stack.apiToken]);

interface MessageJson {
  type: string;
  entry?: { kind: string; tool_name?: string; text?: string; permission_request?: { request_id: string; decision?: string; decided_by?: string } };
}

/** The session's transcript entries of a permission kind, in order. */
async function permissionEntries(sessionId: string) {
  const res = await workspaceRest(stack, "GET", `/sessions/${sessionId}/messages?page_size=1000`);
  return ((res.body.messages ?? []) as MessageJson[])
    .map((m) => m.entry)
    .filter((e) => e?.kind === "TRANSCRIPT_ENTRY_KIND_PERMISSION_REQUEST" || e?.kind === "TRANSCRIPT_ENTRY_KIND_PERMISSION_DECISION")
    .map((e) => ({ kind: e!.kind.replace("TRANSCRIPT_ENTRY_KIND_", ""), ...e!.permission_request }));
}

/** Waits for the session's PERMISSION_DECISION entry of `requestId` (the agent has the answer). */
function waitForDecisionEntry(sessionId: string, requestId: string) {
  return pollUntil(
    async () => (await permissionEntries(sessionId)).find((e) => e.kind === "PERMISSION_DECISION" && e.request_id === requestId),
    { timeoutMs: 15_000, intervalMs: 50, what: `the decision entry of ${requestId}` },
  );
}

const answer = (sessionId: string, requestId: string, body: Record<string, unknown>) =>
  workspaceRest(stack, "POST", `/sessions/${sessionId}/permissions/${requestId}`, body);

const stopSession = (sessionId: string) => workspaceRest(stack, "POST", `/sessions/${sessionId}:stop`, { grace_seconds: 2 });

describe("a permission request of the agent", () => {
  it("is pending, shown by wsctl approvals, and allowed by wsctl approve: the agent runs the tool", async () => {
    const { sessionId, pid } = await launchWithPermissions(stack, "use:Bash:npm test");
    const [pending] = await waitForPending(stack, sessionId);
    expect(pending).toMatchObject({ session_id: sessionId, tool_name: "Bash", input: { command: "npm test" } });
    expect(pending?.request_id).toMatch(/^prq_/);
    expect(Date.parse(pending!.expire_time!)).toBeGreaterThan(Date.now());
    await waitForSessionState(stack, sessionId, SessionState.AWAITING_APPROVAL);

    const watching = wsctl("watch", "--workspace", stack.workspaceId, sessionId);
    const waiting = await wsctl("sessions", "--workspace", stack.workspaceId, "--state", "awaiting_approval");
    expect(waiting.stdout).toContain(sessionId);
    const listed = await wsctl("approvals", "--workspace", stack.workspaceId);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${sessionId}\\s+${pending!.request_id}\\s+Bash\\s+npm test\\s+\\d+s\\s+in \\d+m`));

    const approved = await wsctl("approve", "--workspace", stack.workspaceId, sessionId, pending!.request_id);
    expect(approved).toMatchObject({ code: 0, stderr: "" });
    expect(approved.stdout).toContain(`allowed Bash(npm test) by ${stack.apiTokenId}`);

    const [check] = await waitForAgentChecks(stack, pid);
    expect(check).toMatchObject({ tool: "Bash", behavior: "allow", via: "mcp__wsctl__approve", updatedInput: { command: "npm test" } });
    const decision = await waitForDecisionEntry(sessionId, pending!.request_id);
    expect(decision).toMatchObject({ decision: "allow", decided_by: stack.apiTokenId });
    await waitForSessionState(stack, sessionId, SessionState.RUNNING);
    expect(await pendingRequests(stack, sessionId)).toEqual([]);
    expect((await permissionEntries(sessionId)).map((e) => e.kind)).toEqual(["PERMISSION_REQUEST", "PERMISSION_DECISION"]);
    await stopSession(sessionId);
    // wsctl watch printed the request, the wait and the decision readably, in that order.
    const lines = (await watching).stdout.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const id = pending!.request_id;
    const order = [
      at(new RegExp(`^\\? Bash\\(npm test\\) asks for approval: request ${id}, expires \\S+Z`)),
      at(new RegExp(`^#\\d+ awaiting_approval request ${id}: `)),
      at(new RegExp(`^✓ allowed Bash\\(npm test\\) by ${stack.apiTokenId} at `)),
    ];
    expect(order.every((i) => i >= 0), lines.join("\n")).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("denied with a message: the agent reads the message and does not run the tool", async () => {
    const { sessionId, pid } = await launchWithPermissions(stack, "use:Bash:rm -rf build");
    const [pending] = await waitForPending(stack, sessionId);
    const denied = await wsctl("deny", "--workspace", stack.workspaceId, sessionId, pending!.request_id, "--message", "keep the build");
    expect(denied.code).toBe(0);
    const [check] = await waitForAgentChecks(stack, pid);
    expect(check).toMatchObject({ tool: "Bash", behavior: "deny", message: "keep the build" });
    expect(await waitForDecisionEntry(sessionId, pending!.request_id)).toMatchObject({ decision: "deny" });
    await stopSession(sessionId);
  });

  it("allowed with remember: the next request for the same command prefix is allowed without asking", async () => {
    const { sessionId, pid } = await launchWithPermissions(stack, "use:Bash:npm test");
    const [pending] = await waitForPending(stack, sessionId);
    expect((await wsctl("approve", "--workspace", stack.workspaceId, sessionId, pending!.request_id, "--remember")).code).toBe(0);
    await waitForAgentChecks(stack, pid, 1);
    await waitForSessionState(stack, sessionId, SessionState.RUNNING);

    const sent = await workspaceRest(stack, "POST", `/sessions/${sessionId}/messages`, { text: "use:Bash:npm run lint" });
    expect(sent.status).toBe(200);
    const checks = await waitForAgentChecks(stack, pid, 2);
    expect(checks[1]).toMatchObject({ tool: "Bash", behavior: "allow", input: { command: "npm run lint" } });
    // Decided by the rule at once: recorded as such, never pending for a person.
    const entries = await permissionEntries(sessionId);
    expect(entries.filter((e) => e.kind === "PERMISSION_DECISION").map((e) => e.decided_by)).toEqual([stack.apiTokenId, "remembered"]);
    expect(await pendingRequests(stack, sessionId)).toEqual([]);
    await stopSession(sessionId);
  });

  it("answered twice at once over REST: exactly one answer wins, the other gets failed_precondition with the first decision", async () => {
    const { sessionId, pid } = await launchWithPermissions(stack, "use:Bash:make deploy");
    const [pending] = await waitForPending(stack, sessionId);
    const id = pending!.request_id;
    const [a, b] = await Promise.all([answer(sessionId, id, { decision: "allow" }), answer(sessionId, id, { decision: "deny", message: "no" })]);
    const replies = [a, b];
    const won = replies.filter((r) => r.status === 200);
    const lost = replies.filter((r) => r.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = (won[0]!.body.request as { decision: string }).decision;
    expect(lost[0]).toMatchObject({ status: 400, body: { code: "failed_precondition" } });
    expect(String(lost[0]!.body.message)).toContain(winner);
    const [check] = await waitForAgentChecks(stack, pid);
    expect(check?.behavior).toBe(winner);
    expect(await waitForDecisionEntry(sessionId, id)).toMatchObject({ decision: winner, decided_by: stack.apiTokenId });

    // A later answer, from the command line, says plainly that it changed nothing.
    const late = await wsctl("deny", "--workspace", stack.workspaceId, sessionId, id);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(`request ${id} was already answered, this answer was not applied`);
    expect(late.stderr).toContain(`  first answer: ${winner === "allow" ? "allowed" : "denied"} Bash(make deploy) by ${stack.apiTokenId} at `);
    await stopSession(sessionId);
  });

  it("answered while its daemon is down (kill -9) reaches the agent once the daemon is back", async () => {
    const { sessionId, pid } = await launchWithPermissions(stack, "use:Bash:npm publish");
    const [pending] = await waitForPending(stack, sessionId);
    await stack.daemon!.stop("SIGKILL");
    await stack.waitOnline(stack.machineId, false);

    const answered = await answer(sessionId, pending!.request_id, { decision: "allow" });
    expect(answered.status).toBe(200);
    expect(answered.body.request).toMatchObject({ decision: "allow", decided_by: stack.apiTokenId });
    expect((answered.body.request as { delivered?: boolean }).delivered ?? false).toBe(false);

    await stack.startDaemon();
    const [check] = await waitForAgentChecks(stack, pid, 1, 20_000);
    expect(check).toMatchObject({ tool: "Bash", behavior: "allow", input: { command: "npm publish" } });
    expect(await waitForDecisionEntry(sessionId, pending!.request_id)).toMatchObject({ decision: "allow" });
    await waitForSessionState(stack, sessionId, SessionState.RUNNING, 20_000);
    await stopSession(sessionId);
  });
});

describe("the workspace's approval settings", () => {
  it("decide a request nobody answers with the default decision after the approval timeout", async () => {
    await stack.admin("update-workspace", stack.workspaceId, "--approval-timeout", "2s", "--approval-default", "deny");
    try {
      const began = Date.now();
      const { sessionId, pid } = await launchWithPermissions(stack, "use:Bash:sudo reboot");
      const [pending] = await waitForPending(stack, sessionId);
      const [created, expires] = [Date.parse(pending!.create_time!), Date.parse(pending!.expire_time!)];
      expect(expires - created).toBeGreaterThanOrEqual(1500);
      expect(expires - created).toBeLessThanOrEqual(3000);
      const [check] = await waitForAgentChecks(stack, pid, 1, 20_000);
      expect(check).toMatchObject({ tool: "Bash", behavior: "deny" });
      // Never before the timeout; well before the daemon's own fallback (expire + 30 s).
      expect(Date.now() - began).toBeGreaterThanOrEqual(1500);
      expect(Date.now() - began).toBeLessThan(25_000);
      expect(await waitForDecisionEntry(sessionId, pending!.request_id)).toMatchObject({ decision: "deny", decided_by: "timeout" });
      await waitForSessionState(stack, sessionId, SessionState.RUNNING);
      await stopSession(sessionId);
    } finally {
      await stack.admin("update-workspace", stack.workspaceId, "--approval-timeout", "10m");
    }
  });

  it("refuse bypass_permissions above the ceiling with permission_denied, storing nothing", async () => {
    await stack.admin("update-workspace", stack.workspaceId, "--permission-ceiling", "accept_edits");
    try {
      const before = await workspaceRest(stack, "GET", "/sessions?page_size=500");
      const refused = await workspaceRest(stack, "POST", "/sessions", permissionLaunchBody("use:Bash:ls", "bypass_permissions"));
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe("permission_denied");
      expect(String(refused.body.message)).toContain("accept_edits");
      const after = await workspaceRest(stack, "GET", "/sessions?page_size=500");
      expect((after.body.sessions as unknown[]).length).toBe((before.body.sessions as unknown[]).length);
      // Up to the ceiling is fine.
      const { sessionId } = await launchWithPermissions(stack, "hello", "accept_edits");
      await stopSession(sessionId);
    } finally {
      await stack.admin("update-workspace", stack.workspaceId, "--permission-ceiling", "bypass_permissions");
    }
  });
});

describe("the OpenAPI document", () => {
  it("describes PermissionService's REST operations", async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const list = doc.paths["/api/v1/workspaces/{workspace_id}/permissions"]?.get;
    const answerOp = doc.paths["/api/v1/workspaces/{workspace_id}/sessions/{session_id}/permissions/{request_id}"]?.post;
    expect(list?.operationId).toMatch(/ListPendingPermissionRequests/);
    expect(answerOp?.operationId).toMatch(/AnswerPermissionRequest/);
  });
});
