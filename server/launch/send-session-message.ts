import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SendSessionMessageRequestSchema } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import { nextState } from "../sessions/session-transitions.js";
import type { Acknowledgement, SessionRecord, Store, TranscriptEntryRecord } from "../store/store.js";
import type { CommandSender } from "./create-command-sender.js";
import type { IdempotencyClaim, IdempotencyKeys } from "./create-idempotency-keys.js";

export interface MessageDeps {
  store: Store;
  hub: DaemonHub;
  sender: CommandSender;
  keys: IdempotencyKeys;
  /** How long the daemon has to accept a message. */
  timeoutMs: number;
}

/** What a delivered message became. */
export interface SentMessage {
  session: SessionRecord;
  /** The USER entry of the transcript the daemon added for it. */
  entry: TranscriptEntryRecord;
}

/** Daemon error codes that mean the session cannot take a message now: the caller's precondition, not our failure. */
const preconditionCodes = new Set(["agent_not_running", "agent_busy", "unsupported_provider"]);

/**
 * Delivers a follow-up message to a running session's agent through its
 * machine's daemon (a `message` command, sent and awaited like a launch) and
 * resolves once the daemon accepted it. Only a `running` session takes one
 * (`failed_precondition` naming its state); an offline machine is
 * `unavailable` at once; no answer in time `deadline_exceeded`. A message
 * whose sender was told it failed is never delivered later (its command is
 * expired, as a launch's is). With an
 * Idempotency-Key the first outcome is stored and every retry gets it,
 * nothing sent again; a key is given back when nothing was sent.
 */
export async function sendSessionMessage(
  deps: MessageDeps,
  principal: Principal & { kind: "api" },
  session: SessionRecord,
  text: string,
  options: { idempotencyKey?: string | undefined; signal: AbortSignal; requestId?: string | undefined },
): Promise<SentMessage> {
  const { store, keys } = deps;
  const { signal } = options;
  let claim: IdempotencyClaim | undefined;
  if (options.idempotencyKey !== undefined) {
    const request = create(SendSessionMessageRequestSchema, { workspaceId: session.workspaceId, sessionId: session.sessionId, text });
    const found = await keys.claim(principal.tokenId, options.idempotencyKey, toBinary(SendSessionMessageRequestSchema, request));
    if (found.kind === "replay") return { session: (await store.getSessionById(session.sessionId, signal)) ?? session, entry: entryOf(found.result, text) };
    claim = found.claim;
  }
  let sent: Awaited<ReturnType<CommandSender["send"]>>;
  const commandId = randomUUID();
  try {
    if (nextState(session.state, "message") === undefined) {
      throw new ConnectError(`session ${session.sessionId} is ${session.state}: only a running session takes messages`, Code.FailedPrecondition);
    }
    const command = create(DaemonCommandSchema, {
      commandId,
      requestId: options.requestId ?? "",
      kind: { case: "message", value: { sessionId: session.sessionId, text, deadline: timestampFromMs(Date.now() + deps.timeoutMs) } },
    });
    sent = await deps.sender.send(session.machineId, command, {
      sessionId: session.sessionId,
      kind: "message",
      timeoutMs: deps.timeoutMs,
      timeoutMessage: `machine ${session.machineId} did not accept the message in time`,
      signal,
    });
    if (!sent) {
      // Recorded but never pushed: a daemon that reconnects later must not get a message its sender was told failed.
      await store.expireCommand(commandId, Date.now());
      throw new ConnectError(`machine ${session.machineId} is offline`, Code.Unavailable);
    }
  } catch (error) {
    if (claim) await keys.release(claim);
    throw error;
  }
  try {
    const ack = await settle(store, commandId, sent.ack);
    if (ack.status !== "ok") throw ackError(session, ack);
    const result: Acknowledgement = { status: "ok", payload: { session_id: session.sessionId, offset: ack.payload.offset ?? 0 } };
    if (claim) await keys.complete(claim, { result });
    return { session: (await store.getSessionById(session.sessionId, signal)) ?? session, entry: entryOf(result, text) };
  } catch (error) {
    const failure = ConnectError.from(error);
    if (claim) await keys.complete(claim, { error: { code: failure.code, message: failure.rawMessage } });
    throw failure;
  }
}

/**
 * The daemon's answer; when the wait ends first (deadline, the caller gone),
 * the command's row decides: an acknowledgement recorded meanwhile is the
 * answer, else the command is expired so no reconnecting daemon gets it.
 */
async function settle(store: Store, commandId: string, ack: Promise<Acknowledgement>): Promise<Acknowledgement> {
  try {
    return await ack;
  } catch (error) {
    const settled = await store.expireCommand(commandId, Date.now());
    const command = settled?.command;
    if (!settled?.expired && command?.ackPayload !== undefined) return { status: command.ackStatus, payload: command.ackPayload };
    throw error;
  }
}

/** The USER entry of an accepted message. */
function entryOf(result: Acknowledgement, text: string): TranscriptEntryRecord {
  const offset = typeof result.payload.offset === "number" ? result.payload.offset : 0;
  return { offset, role: "user", kind: "text", text };
}

/** The caller's error for a daemon's `error` answer. */
function ackError(session: SessionRecord, ack: Acknowledgement): ConnectError {
  const error = ack.payload.error;
  const detail = error && typeof error === "object" && !Array.isArray(error) ? error : {};
  const code = typeof detail.code === "string" ? detail.code : "";
  const message = typeof detail.message === "string" ? detail.message : "the daemon could not deliver the message";
  if (preconditionCodes.has(code)) return new ConnectError(`session ${session.sessionId}: ${message}`, Code.FailedPrecondition);
  return new ConnectError(`machine ${session.machineId} could not deliver the message: ${message}`, Code.Internal);
}
