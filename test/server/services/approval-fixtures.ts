import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import type { DaemonCommand, PermissionAnswerCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { PermissionService } from "../../../gen/workspaces/v1/permission_service_pb.js";
import { TranscriptEntryKind, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import { createInProcessApp, type InProcessApp, type InProcessAppOptions, type TestDaemon } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";

/**
 * Shared fixtures of the approvals tests: the whole app in process (workspace
 * `ws`, machine `m1`), a session launched on a test daemon that acknowledges
 * launches, and the daemon's side of a permission request: the
 * PERMISSION_REQUEST / PERMISSION_DECISION entries it appends and the
 * PermissionAnswerCommands it gets.
 */
export interface ApprovalEnv {
  env: InProcessApp;
  permissions: Client<typeof PermissionService>;
  daemon: TestDaemon;
  sessionId: string;
  /** Headers of the app's API token. */
  auth: () => { headers: Record<string, string> };
}

export async function launchedSession(options: InProcessAppOptions = {}): Promise<ApprovalEnv> {
  const env = await createInProcessApp(options);
  const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 42 } }) });
  const auth = () => ({ headers: env.headers() });
  const res = await env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, auth());
  const sessionId = String(res.payload?.session_id);
  return { env, daemon, sessionId, auth, permissions: createClient(PermissionService, env.transport) };
}

/** The PERMISSION_REQUEST entry a daemon appends for the agent's call of `toolName`. */
export function requestEntry(requestId: string, toolName: string, input: JsonObject, options: { expireInMs?: number } = {}) {
  return {
    role: TranscriptRole.SYSTEM,
    kind: TranscriptEntryKind.PERMISSION_REQUEST,
    toolName,
    toolInput: input,
    permissionRequest: {
      requestId,
      toolName,
      input,
      reason: `the agent wants to use ${toolName}`,
      createTime: timestampFromMs(Date.now()),
      expireTime: timestampFromMs(Date.now() + (options.expireInMs ?? 600_000)),
    },
  };
}

/** The PERMISSION_DECISION entry a daemon appends once it handed a decision to the agent. */
export function decisionEntry(requestId: string, decision: "allow" | "deny", decidedBy: string) {
  return {
    role: TranscriptRole.SYSTEM,
    kind: TranscriptEntryKind.PERMISSION_DECISION,
    permissionRequest: { requestId, decision, decidedBy, decideTime: timestampFromMs(Date.now()) },
  };
}

/** Appends entries at the session's current transcript end; the next offset. */
export async function append(a: ApprovalEnv, ...entries: Parameters<TestDaemon["appendTranscript"]>[2]): Promise<number> {
  const session = await a.env.store.getSessionById(a.sessionId);
  return a.daemon.appendTranscript(a.sessionId, session?.transcriptLength ?? 0, entries);
}

/** The next PermissionAnswerCommand on `daemon`'s stream (other commands are skipped), with its command id. */
export async function nextAnswer(daemon: TestDaemon): Promise<{ commandId: string; answer: PermissionAnswerCommand }> {
  for (;;) {
    const command: DaemonCommand = await daemon.nextCommand();
    if (command.kind.case === "permissionAnswer") return { commandId: command.commandId, answer: command.kind.value };
  }
}

/** Waits until the session is in `state` (a stored state name). */
export function sessionState(a: ApprovalEnv, state: string): Promise<unknown> {
  return pollUntil(async () => (await a.env.store.getSessionById(a.sessionId))?.state === state, { what: `session in ${state}` });
}

/** The types of the session's stored events after `afterSequence`, by name. */
export async function eventTypes(a: ApprovalEnv, afterSequence = 0): Promise<string[]> {
  const events = await a.env.store.listSessionEvents(a.sessionId, afterSequence);
  return events.map((e) => e.type);
}

