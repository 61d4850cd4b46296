import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";
import { PermissionService } from "../../../gen/workspaces/v1/permission_service_pb.js";
import { SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { TranscriptEntryKind } from "../../../gen/workspaces/v1/transcript_pb.js";
import {
  append,
  type ApprovalEnv,
  eventTypes,
  launchedSession,
  nextAnswer,
  requestEntry,
  sessionState,
} from "./approval-fixtures.js";
import { createInProcessApp } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { addOtherWorkspace, rejection, scopedToken, violatedFields } from "./service-fixtures.js";

let a: ApprovalEnv;
afterEach(async () => {
  await a?.env.close();
});

const key = (requestId: string) => ({ workspaceId: "ws", sessionId: a.sessionId, requestId });
const pending = async () => (await a.permissions.listPendingPermissionRequests({ workspaceId: "ws" }, a.auth())).requests;

describe("createPermissionService", () => {
  it("shows a request as pending and the session awaiting approval, after its transcript entry", async () => {
    a = await launchedSession();
    const before = (await a.env.store.listSessionEvents(a.sessionId, 0)).length;
    await append(a, requestEntry("prq_1", "Bash", { command: "npm test" }));
    await sessionState(a, "awaiting_approval");
    expect(await eventTypes(a, before)).toEqual(["transcript", "awaiting_approval"]);
    const events = await a.env.store.listSessionEvents(a.sessionId, before);
    expect(events[1]?.entry).toEqual(events[0]?.entry);
    expect(events[1]?.message).toBe("the agent asks to use Bash");
    const [request] = await pending();
    expect(request).toMatchObject({ requestId: "prq_1", sessionId: a.sessionId, machineId: "m1", toolName: "Bash", decision: "" });
    expect(request?.input).toEqual({ command: "npm test" });
    const { session } = await a.env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId: a.sessionId }, a.auth());
    expect(session?.state).toBe(SessionState.AWAITING_APPROVAL);
  });

  it("allows: the answer is stored with who and when, pushed to the daemon, delivered on its ok, and the session runs again", async () => {
    a = await launchedSession();
    await append(a, requestEntry("prq_1", "Bash", { command: "npm test" }));
    await sessionState(a, "awaiting_approval");
    const before = (await a.env.store.listSessionEvents(a.sessionId, 0)).length;
    const { request } = await a.permissions.answerPermissionRequest(
      { ...key("prq_1"), decision: "allow", updatedInput: { command: "npm test -- --run" } },
      a.auth(),
    );
    expect(request).toMatchObject({ decision: "allow", decidedBy: a.env.apiTokenId, delivered: false });
    expect(request?.decideTime).toBeDefined();
    const { commandId, answer } = await nextAnswer(a.daemon);
    expect(answer.sessionId).toBe(a.sessionId);
    expect(answer.request).toMatchObject({ requestId: "prq_1", decision: "allow", decidedBy: a.env.apiTokenId });
    expect(answer.request?.updatedInput).toEqual({ command: "npm test -- --run" });
    await a.daemon.acknowledge(commandId, "ok");
    expect((await a.env.store.getPermissionRequest(a.sessionId, "prq_1"))?.delivered).toBe(true);
    await sessionState(a, "running");
    const [running] = await a.env.store.listSessionEvents(a.sessionId, before);
    expect(running).toMatchObject({ type: "running", state: "running", message: `Bash allowed by ${a.env.apiTokenId}` });
    expect(await pending()).toEqual([]);
  });

  it("denies with a message to the agent", async () => {
    a = await launchedSession();
    await append(a, requestEntry("prq_1", "Bash", { command: "rm -rf /" }));
    await sessionState(a, "awaiting_approval");
    await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "deny", message: "never" }, a.auth());
    const { answer } = await nextAnswer(a.daemon);
    expect(answer.request).toMatchObject({ decision: "deny", message: "never" });
    await sessionState(a, "running");
  });

  it("lets exactly one of two racing answers win; the other is failed_precondition naming the first decision and who made it", async () => {
    a = await launchedSession();
    const other = await scopedToken(a.env, ["sessions"]);
    await append(a, requestEntry("prq_1", "Edit", { file_path: "a.ts" }));
    await sessionState(a, "awaiting_approval");
    const results = await Promise.allSettled([
      a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow" }, a.auth()),
      a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "deny" }, { headers: a.env.headers(other) }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<{ request?: { decision: string; decidedBy: string } }>).value.request!;
    const error = ConnectError.from(lost[0]?.reason);
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain(`already decided: ${winner.decision} by ${winner.decidedBy}`);
    expect(error.findDetails(PermissionRequestSchema)[0]).toMatchObject({ requestId: "prq_1", decision: winner.decision });
    expect((await a.env.store.getPermissionRequest(a.sessionId, "prq_1"))?.decidedBy).toBe(winner.decidedBy);
  });

  it("remembers an allowed Bash command's first word for the rest of the session", async () => {
    a = await launchedSession();
    await append(a, requestEntry("prq_1", "Bash", { command: "npm test" }));
    await sessionState(a, "awaiting_approval");
    await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow", remember: true }, a.auth());
    await sessionState(a, "running");
    await append(a, requestEntry("prq_2", "Bash", { command: "npm run build" }));
    const remembered = await a.env.store.getPermissionRequest(a.sessionId, "prq_2");
    expect(remembered).toMatchObject({ decision: "allow", decidedBy: "remembered" });
    expect((await a.env.store.getSessionById(a.sessionId))?.state).toBe("running");
    const answers = [await nextAnswer(a.daemon), await nextAnswer(a.daemon)].map((x) => x.answer.request?.requestId);
    expect(answers).toEqual(["prq_1", "prq_2"]);
    await append(a, requestEntry("prq_3", "Bash", { command: "git push" }));
    await sessionState(a, "awaiting_approval");
    expect((await pending()).map((r) => r.requestId)).toEqual(["prq_3"]);
  });

  it("stays awaiting approval until every pending request is decided", async () => {
    a = await launchedSession();
    await append(a, requestEntry("prq_1", "Bash", { command: "ls" }), requestEntry("prq_2", "Edit", { file_path: "x" }));
    await sessionState(a, "awaiting_approval");
    await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow" }, a.auth());
    expect((await a.env.store.getSessionById(a.sessionId))?.state).toBe("awaiting_approval");
    await a.permissions.answerPermissionRequest({ ...key("prq_2"), decision: "deny" }, a.auth());
    await sessionState(a, "running");
  });

  it("keeps a session waiting whose request landed before its launch's acknowledgement", async () => {
    const env = await createInProcessApp();
    const daemon = await env.daemon();
    a = { env, daemon, sessionId: "", auth: () => ({ headers: env.headers() }), permissions: createClient(PermissionService, env.transport) };
    const launched = env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, a.auth());
    const command = await daemon.nextCommand();
    a.sessionId = command.kind.case === "launch" ? command.kind.value.sessionId : "";
    await daemon.appendTranscript(a.sessionId, 0, [requestEntry("prq_1", "Bash", { command: "ls" })]);
    await sessionState(a, "awaiting_approval");
    await daemon.acknowledge(command.commandId, "ok", { pid: 7 });
    expect((await launched).status).toBe("ok");
    expect(await a.env.store.getSessionById(a.sessionId)).toMatchObject({ state: "awaiting_approval", pid: 7 });
    await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow" }, a.auth());
    await sessionState(a, "running");
  });

  it("lists no request of a session that has ended", async () => {
    a = await launchedSession();
    await append(a, requestEntry("prq_1", "Bash", { command: "ls" }));
    await sessionState(a, "awaiting_approval");
    expect(await pending()).toHaveLength(1);
    await a.daemon.report(a.sessionId, SessionState.EXITED, { exitCode: 0 });
    await sessionState(a, "exited");
    expect(await pending()).toEqual([]);
  });

  it("records a request once however often the daemon resends its entry", async () => {
    a = await launchedSession();
    const entry = requestEntry("prq_1", "Bash", { command: "ls" });
    await a.daemon.appendTranscript(a.sessionId, 0, [entry]);
    await a.daemon.appendTranscript(a.sessionId, 0, [entry]);
    await sessionState(a, "awaiting_approval");
    expect((await eventTypes(a)).filter((t) => t === "awaiting_approval")).toHaveLength(1);
    expect(await pending()).toHaveLength(1);
  });

  it("answers not_found for a request, session or workspace the token cannot see", async () => {
    a = await launchedSession();
    await addOtherWorkspace(a.env);
    await rejection(a.permissions.answerPermissionRequest({ ...key("prq_9"), decision: "allow" }, a.auth()), Code.NotFound);
    await rejection(
      a.permissions.answerPermissionRequest({ ...key("prq_9"), sessionId: "nope", decision: "allow" }, a.auth()),
      Code.NotFound,
    );
    await rejection(a.permissions.listPendingPermissionRequests({ workspaceId: "ws-2" }, a.auth()), Code.NotFound);
  });

  it("refuses a decision other than allow or deny, and remember or updated_input with deny, naming the fields", async () => {
    a = await launchedSession();
    expect(await violatedFields(a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "maybe" }, a.auth()))).toEqual([
      "decision",
    ]);
    const fields = await violatedFields(
      a.permissions.answerPermissionRequest({ ...key(""), decision: "deny", remember: true, updatedInput: {}, message: "x".repeat(5000) }, a.auth()),
    );
    expect(fields).toEqual(["request_id", "message", "updated_input", "remember"]);
  });

  it("needs the sessions scope", async () => {
    a = await launchedSession();
    const register = await scopedToken(a.env, ["machines:register"]);
    const error = await rejection(a.permissions.listPendingPermissionRequests({ workspaceId: "ws" }, { headers: a.env.headers(register) }), Code.PermissionDenied);
    expect(error.rawMessage).toContain("sessions scope");
  });

  it("carries the request on the session's watch stream: the entry, then the AWAITING_APPROVAL event with it", async () => {
    a = await launchedSession();
    await append(a, requestEntry("prq_1", "Bash", { command: "ls" }));
    const controller = new AbortController();
    const seen: { type: SessionEventType; kind?: TranscriptEntryKind; requestId?: string }[] = [];
    for await (const e of a.env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId: a.sessionId }, { ...a.auth(), signal: controller.signal })) {
      if (e.type === SessionEventType.HEARTBEAT) continue;
      seen.push({ type: e.type, ...(e.entry ? { kind: e.entry.kind, requestId: e.entry.permissionRequest?.requestId } : {}) });
      if (e.type === SessionEventType.AWAITING_APPROVAL) break;
    }
    controller.abort();
    expect(seen.slice(-2)).toEqual([
      { type: SessionEventType.TRANSCRIPT, kind: TranscriptEntryKind.PERMISSION_REQUEST, requestId: "prq_1" },
      { type: SessionEventType.AWAITING_APPROVAL, kind: TranscriptEntryKind.PERMISSION_REQUEST, requestId: "prq_1" },
    ]);
  });

  describe("awaiting approval as running", () => {
    it("is stopped like a running session", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "sleep 100" }));
      await sessionState(a, "awaiting_approval");
      const stopping = a.env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId: a.sessionId, graceSeconds: 1 }, a.auth());
      const stop = await pollUntil(() => a.daemon.commands.find((c) => c.kind.case === "stop"), { what: "the stop command" });
      await a.daemon.acknowledge(stop.commandId, "ok");
      await a.daemon.report(a.sessionId, SessionState.EXITED, { exitCode: 143 });
      expect((await stopping).session?.state).toBe(SessionState.STOPPED);
    });

    it("takes a follow-up message", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "ls" }));
      await sessionState(a, "awaiting_approval");
      const sent = a.env.sessions.sendSessionMessage({ workspaceId: "ws", sessionId: a.sessionId, text: "use git status" }, a.auth());
      const message = await pollUntil(() => a.daemon.commands.find((c) => c.kind.case === "message"), { what: "the message command" });
      await a.daemon.acknowledge(message.commandId, "ok", { offset: 1 });
      expect((await sent).session?.state).toBe(SessionState.AWAITING_APPROVAL);
    });
  });
});
