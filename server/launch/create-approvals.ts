import { Code, ConnectError } from "@connectrpc/connect";
import { PermissionRequestSchema } from "../../gen/workspaces/v1/permission_pb.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import {
  describeDecision,
  entryPermissionRequest,
  matchesPermissionRule,
  newPermissionRequest,
  permissionRequestEntry,
  permissionRequestMessage,
  permissionRuleOf,
} from "../sessions/permission-requests.js";
import { isTerminalState, liveStates, statesFrom } from "../sessions/session-transitions.js";
import type {
  PermissionDecisionName,
  PermissionDecisionWrite,
  PermissionRequestRecord,
  SessionRecord,
  Store,
  TranscriptEntryRecord,
} from "../store/store.js";
import type { CommandSender } from "./create-command-sender.js";
import { deliverPermissionDecision, type DeliveryOutcome } from "./deliver-permission-decision.js";

export interface ApprovalsOptions {
  store: Store;
  lifecycle: Pick<SessionLifecycle, "awaitingApproval" | "approvalsSettled">;
  sender: CommandSender;
  /** How long a daemon has to acknowledge a decision before the wait ends. Default 30 000 ms. */
  deliveryTimeoutMs?: number;
  log: (message: string, error?: unknown) => void;
  now: () => number;
}

/** An answer to a request, as AnswerPermissionRequest gives it (validated). */
export interface PermissionAnswer {
  decision: PermissionDecisionName;
  /** The token id of the caller: who decided. */
  decidedBy: string;
  message: string;
  updatedInput?: PermissionRequestRecord["updatedInput"];
  remember: boolean;
}

/**
 * The approvals desk: a session's permission requests from the entry that
 * asks to the decision the agent gets. Requests come as PERMISSION_REQUEST
 * transcript entries (`entriesStored`); each is decided once — by an answer
 * (`answer`), a remembered rule, the timeout (`decide`, by the reconciler) or
 * the daemon itself (a PERMISSION_DECISION entry) — and every decision but
 * the daemon's own is pushed to the agent's daemon, and pushed again on each
 * subscription of that daemon until it is acknowledged (`redeliver`).
 */
export interface Approvals {
  /** Takes the stored entries of a session: permission requests are recorded, decisions the daemon made applied. */
  entriesStored(sessionId: string, entries: readonly TranscriptEntryRecord[]): Promise<void>;
  /**
   * Answers a pending request of `session`: `not_found` for a request it does
   * not have; `failed_precondition` naming the first decision and who made
   * it (details: the request) when it is decided already.
   */
  answer(session: SessionRecord, requestId: string, answer: PermissionAnswer, signal?: AbortSignal): Promise<PermissionRequestRecord>;
  /** Decides a pending request (first decision wins), pushes it to the daemon and lets the session run again; undefined when no such request. */
  decide(write: PermissionDecisionWrite): Promise<{ request: PermissionRequestRecord; decided: boolean } | undefined>;
  /** A subscribing daemon's machine: undelivered decisions are sent again, and sessions with a pending request wait again. */
  redeliver(machineId: string): Promise<number>;
  /** Resolves once every delivery started so far has settled (for tests and shutdown). */
  idle(): Promise<void>;
}

export function createApprovals(options: ApprovalsOptions): Approvals {
  const { store, lifecycle, log, now } = options;
  const deliverDeps = { sender: options.sender, timeoutMs: options.deliveryTimeoutMs ?? 30_000, log };
  const deliveries = new Set<Promise<DeliveryOutcome>>();

  function deliver(request: PermissionRequestRecord): void {
    const delivery = deliverPermissionDecision(deliverDeps, request);
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  }

  const stillPending = (request: PermissionRequestRecord) => async () =>
    (await store.listPendingPermissionRequests({ workspaceId: request.workspaceId, sessionId: request.sessionId })).length > 0;

  async function decide(write: PermissionDecisionWrite) {
    const result = await store.decidePermissionRequest(write);
    if (!result?.decided) return result;
    const { request } = result;
    // Not to an agent that has ended: its daemon has no request to hand it to.
    const session = request.delivered ? undefined : await store.getSessionById(request.sessionId);
    if (session && !isTerminalState(session.state)) deliver(request);
    if (write.rule) await applyRule(request);
    await lifecycle.approvalsSettled(request.sessionId, describeDecision(request), stillPending(request));
    return result;
  }

  /** A rule was just remembered: the session's other pending requests it covers are allowed too. */
  async function applyRule(decided: PermissionRequestRecord): Promise<void> {
    const rules = await store.listPermissionRules(decided.sessionId);
    for (const other of await store.listPendingPermissionRequests({ workspaceId: decided.workspaceId, sessionId: decided.sessionId })) {
      if (!matchesPermissionRule(rules, other.toolName, other.input)) continue;
      await decide(remembered(other));
    }
  }

  function remembered(request: PermissionRequestRecord): PermissionDecisionWrite {
    const base = { sessionId: request.sessionId, requestId: request.requestId, message: "", remember: false, delivered: false };
    return { ...base, decision: "allow", decidedBy: "remembered", now: now() };
  }

  async function requested(session: SessionRecord, entry: TranscriptEntryRecord): Promise<void> {
    const message = entryPermissionRequest(entry);
    if (message === undefined) {
      log(`session ${session.sessionId}: a permission request entry without a request id was kept as it is`);
      return;
    }
    const workspace = await store.getWorkspace(session.workspaceId);
    const timeoutMs = workspace?.permissions.approvalTimeoutMs ?? 0;
    const { request, created } = await store.createPermissionRequest(newPermissionRequest(session, entry, message, { now: now(), timeoutMs }));
    // A resend of a request still pending goes on where the first try stopped (a store error after the row).
    if (request.decision !== "" || (!created && session.state === "awaiting_approval")) return;
    if (matchesPermissionRule(await store.listPermissionRules(session.sessionId), request.toolName, request.input)) {
      await decide(remembered(request));
      return;
    }
    await lifecycle.awaitingApproval(session.sessionId, entry, `the agent asks to use ${request.toolName || "a tool"}`);
  }

  /** The daemon handed a decision to the agent itself (its own timeout fallback, or one of ours): recorded if still pending. */
  async function decidedByDaemon(session: SessionRecord, entry: TranscriptEntryRecord): Promise<void> {
    const message = entryPermissionRequest(entry);
    if (message === undefined || (message.decision !== "allow" && message.decision !== "deny")) return;
    let stored = await store.getPermissionRequest(session.sessionId, message.requestId);
    // A decision for a request the server never had (it cannot be answered any more): kept, as decided.
    stored ??= (await store.createPermissionRequest(newPermissionRequest(session, entry, message, { now: now(), timeoutMs: 0 }))).request;
    if (stored.decision !== "") {
      if (!stored.delivered) await store.markPermissionDelivered(session.sessionId, stored.requestId);
      return;
    }
    await decide({
      sessionId: session.sessionId,
      requestId: stored.requestId,
      decision: message.decision,
      decidedBy: message.decidedBy || "daemon",
      message: message.message,
      updatedInput: message.updatedInput,
      remember: false,
      delivered: true,
      now: now(),
    });
  }

  return {
    async entriesStored(sessionId, entries) {
      const relevant = entries.filter((e) => e.kind === "permission_request" || e.kind === "permission_decision");
      if (relevant.length === 0) return;
      const session = await store.getSessionById(sessionId);
      if (session === undefined) return;
      for (const entry of relevant) {
        if (entry.kind === "permission_request") await requested(session, entry);
        else await decidedByDaemon(session, entry);
      }
    },

    async answer(session, requestId, answer, signal) {
      const stored = await store.getPermissionRequest(session.sessionId, requestId, signal);
      if (stored === undefined) throw new ConnectError(`permission request ${requestId} of session ${session.sessionId} not found`, Code.NotFound);
      const rule = answer.remember && answer.decision === "allow" ? permissionRuleOf(stored.toolName, stored.input) : undefined;
      const result = await decide({
        sessionId: session.sessionId,
        requestId,
        decision: answer.decision,
        decidedBy: answer.decidedBy,
        message: answer.message,
        updatedInput: answer.updatedInput,
        remember: answer.remember,
        delivered: false,
        rule,
        now: now(),
      });
      if (result === undefined) throw new ConnectError(`permission request ${requestId} of session ${session.sessionId} not found`, Code.NotFound);
      if (!result.decided) throw alreadyDecided(result.request);
      return result.request;
    },

    decide,

    async redeliver(machineId) {
      // Not those whose command is still waiting to be pushed: the stream opening sends it.
      const waiting = new Set<string>();
      for (const command of await store.listPendingCommands(machineId, now())) {
        const kind = command.command.kind;
        if (kind.case === "permissionAnswer") waiting.add(`${kind.value.sessionId}\u0000${kind.value.request?.requestId}`);
      }
      const undelivered = (await store.listUndeliveredPermissionDecisions(machineId, liveStates)).filter(
        (r) => !waiting.has(`${r.sessionId}\u0000${r.requestId}`),
      );
      for (const request of undelivered) deliver(request);
      // A session healed to running while a request still waits shows it again.
      for (const session of await store.listSessionsOnMachine(machineId, statesFrom("await_approval"))) {
        if (session.state === "awaiting_approval") continue;
        const [oldest] = await store.listPendingPermissionRequests({ workspaceId: session.workspaceId, sessionId: session.sessionId });
        if (oldest === undefined) continue;
        await lifecycle.awaitingApproval(session.sessionId, permissionRequestEntry(oldest, session.transcriptLength ?? 0), `the agent still waits to use ${oldest.toolName}`);
      }
      return undelivered.length;
    },

    async idle() {
      while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
    },
  };
}

/** The `failed_precondition` of a second answer: the first decision, who made it and when; the request in the details. */
function alreadyDecided(request: PermissionRequestRecord): ConnectError {
  const when = request.decidedAt === undefined ? "" : ` at ${new Date(request.decidedAt).toISOString()}`;
  const message = `permission request ${request.requestId} was already decided: ${request.decision} by ${request.decidedBy}${when}`;
  const detail = permissionRequestMessage(request);
  return new ConnectError(message, Code.FailedPrecondition, undefined, [{ desc: PermissionRequestSchema, value: detail }]);
}
