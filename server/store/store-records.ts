import type { JsonObject } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { WorkspacePermissions } from "./permission-records.js";

// The values the Store interface (store.ts) takes and returns: domain
// records, never rows. store.ts re-exports every one of them.

/** A `{status, payload}` pair: what a daemon acknowledged, and the launch result built from it. */
export interface Acknowledgement {
  /** `"ok"` or `"error"`. */
  status: string;
  payload: JsonObject;
}

/** What an Idempotency-Key keeps of the first call: its result, or the error it ended with. */
export type IdempotentOutcome =
  | { result: Acknowledgement; error?: undefined }
  | { result?: undefined; error: { code: Code; message: string } };

export interface WorkspaceRecord {
  workspaceId: string;
  /** Default machine, if the workspace has one. */
  defaultMachineId: string | undefined;
  /** How its sessions' agents handle tool permissions. */
  permissions: WorkspacePermissions;
  createdAt: number;
}

export interface MachineRecord {
  machineId: string;
  workspaceId: string;
  daemonVersion: string;
  hostname: string;
  /** When its daemon was last heard from; undefined if never. */
  lastSeenAt: number | undefined;
  createdAt: number;
}

export type TokenKind = "api" | "machine";

/**
 * What an API token may do in its workspaces (see `server/auth/token-scopes.ts`):
 * `sessions` the session and machine API, `machines:register` register
 * machines, `admin` everything, token management included.
 */
export type TokenScope = "sessions" | "machines:register" | "admin";

export interface NewToken {
  tokenId: string;
  kind: TokenKind;
  /** SHA-256 of the plain token, lower-case hex. */
  hashHex: string;
  /** For API tokens: the workspaces it may act on (at least one). */
  workspaceIds: readonly string[];
  /** For machine tokens: the one machine it speaks for. */
  machineId: string | undefined;
  /** For API tokens: what it may do. Default `["sessions"]` for API tokens; machine tokens have none. */
  scopes?: readonly TokenScope[];
  /** Free text saying what the token is for. Default "". */
  label?: string;
  now: number;
}

export interface TokenRecord {
  tokenId: string;
  kind: TokenKind;
  hashHex: string;
  workspaceIds: string[];
  machineId: string | undefined;
  /** API tokens: what it may do, in the order of `tokenScopes`. Machine tokens: none. */
  scopes: TokenScope[];
  label: string;
  createdAt: number;
  revokedAt: number | undefined;
}

/** Lower-case state names, stored as text. */
export type SessionStateName =
  | "pending"
  | "dispatched"
  | "running"
  | "exited"
  | "failed"
  | "unknown"
  | "stopped"
  | "awaiting_approval";

/** Who a transcript entry comes from (the proto enum's suffix, lower case). */
export type TranscriptRoleName = "user" | "assistant" | "system" | "tool";
/** What a transcript entry holds (the proto enum's suffix, lower case). */
export type TranscriptKindName =
  | "text"
  | "tool_call"
  | "tool_result"
  | "result"
  | "error"
  | "raw"
  | "permission_request"
  | "permission_decision";

/**
 * One entry of a session's transcript (the TranscriptEntry message), as a
 * JSON-compatible value: optional fields are absent, never undefined-valued
 * in storage.
 */
export interface TranscriptEntryRecord {
  /** Position in the current run's transcript, from 0. */
  offset: number;
  role: TranscriptRoleName;
  kind: TranscriptKindName;
  text: string;
  toolName?: string;
  toolInput?: JsonObject;
  toolCallId?: string;
  detail?: JsonObject;
  /** Unix ms. */
  agentTime?: number;
  truncated?: boolean;
  isError?: boolean;
  /** The request (PermissionRequest in proto JSON), on permission_request and permission_decision entries. */
  permissionRequest?: JsonObject;
}

export interface TranscriptAppend {
  sessionId: string;
  /** Only a session on this machine takes the entries. */
  machineId: string;
  /** Offset of `entries[0]`; their own `offset` fields are ignored. */
  fromOffset: number;
  entries: readonly TranscriptEntryRecord[];
  now: number;
}

export interface TranscriptAppended {
  /** The events stored by this call, in order (none for a pure resend or a gap). */
  appended: SessionEventRecord[];
  /** The session's transcript length now: the offset expected next. */
  nextOffset: number;
}

/** Which transcript events `listTranscript` returns: sequences in (afterSequence, beforeSequence). */
export interface TranscriptQuery {
  sessionId: string;
  afterSequence: number;
  /** 0 for no upper bound. */
  beforeSequence: number;
  limit: number;
  /** The newest `limit` of the range instead of the oldest (still returned oldest first). */
  backward: boolean;
}

export interface SessionRecord {
  sessionId: string;
  workspaceId: string;
  machineId: string;
  state: SessionStateName;
  provider: string;
  model: string;
  agentSessionId: string;
  workDir: string;
  branch: string;
  pid: number;
  exitCode: number | undefined;
  errorMessage: string;
  /** The launch metadata ({} when none). */
  metadata: JsonObject;
  /** The launch result `{status, payload}` once acknowledged; undefined before. */
  acknowledgement: Acknowledgement | undefined;
  /** The prompt of the (last) launch; "" or absent when none. */
  initialPrompt?: string;
  /** The `session_settings` of the (last) launch in proto JSON; absent when none. */
  settings?: JsonObject | undefined;
  /** Transcript entries stored for the current run (reset by a reuse); absent means 0. */
  transcriptLength?: number;
  /**
   * Who asked for the session's stop (an API token id, or `system`): set when
   * the stop is recorded, kept once the session is `stopped`; "" or absent
   * when no stop is pending or was made (a patch with "" clears it).
   */
  stoppedBy?: string;
  /** When that stop was asked for; 0 or absent with no stop (a patch with 0 clears it). */
  stopTime?: number;
  createdAt: number;
  updatedAt: number;
}

/** A change to a session: an undefined field keeps its stored value; `acknowledgement: null` clears it. */
export type SessionPatch = Partial<Omit<SessionRecord, "sessionId" | "workspaceId" | "createdAt" | "acknowledgement">> & {
  acknowledgement?: Acknowledgement | null;
  updatedAt: number;
};

/** One move of a session, as `moveSession` writes it. */
export interface SessionMoveWrite {
  sessionId: string;
  /** The state the move was decided on: nothing is written unless the session is still in it. */
  from: SessionStateName;
  patch: SessionPatch;
  /** Appended in order, after the row is updated. */
  events: readonly NewSessionEvent[];
}

export interface SessionQuery {
  workspaceId: string;
  state?: SessionStateName;
  machineId?: string;
  limit: number;
  /** Continue after this (createdAt, sessionId) position, newest-first order. */
  after?: { createdAt: number; sessionId: string };
}

export interface NewSessionEvent {
  sessionId: string;
  /** Event type name in lower case: accepted, dispatched, acknowledged, running, exited, failed, unknown, transcript, stopped. */
  type: string;
  state: SessionStateName;
  machineId: string;
  /** The launch result on `acknowledged` events, else undefined. */
  acknowledgement: Acknowledgement | undefined;
  exitCode: number | undefined;
  message: string;
  /** The entry, on `transcript` events (and `awaiting_approval` ones, which copy their request's). */
  entry?: TranscriptEntryRecord;
  now: number;
}

export interface SessionEventRecord extends Omit<NewSessionEvent, "now"> {
  sequence: number;
  time: number;
}

export type CommandKind = "launch" | "stop" | "message" | "permission_answer";

export interface NewCommand {
  commandId: string;
  machineId: string;
  sessionId: string;
  kind: CommandKind;
  /** The command as pushed, kept so another replica or a reconnect can push it again. */
  command: DaemonCommand;
  /** When the server stops waiting for the acknowledgement; undefined for no deadline. */
  deadlineAt: number | undefined;
  now: number;
}

/**
 * An accepted launch, written in one transaction (`Store.acceptLaunch`): the
 * session (a new row, or with `reuse` the stored one started over by its
 * patch), the Idempotency-Key bound to it when the launch claimed one, its
 * `accepted` event and the launch command.
 */
export interface AcceptLaunchWrite {
  session: { create: SessionRecord } | { reuse: string; patch: SessionPatch };
  idempotencyKey: { tokenId: string; key: string } | undefined;
  event: NewSessionEvent;
  command: NewCommand;
}

export interface CommandRecord extends Omit<NewCommand, "now"> {
  createdAt: number;
  /** "" until acknowledged; `expired` when the server gave up first (see `expireCommand`). */
  ackStatus: string;
  /** The acknowledged payload; undefined until acknowledged. */
  ackPayload: JsonObject | undefined;
  ackedAt: number | undefined;
}

export interface IdempotencyRecord {
  tokenId: string;
  key: string;
  sessionId: string;
  /** Hash of the request the key was first used with. */
  requestHash: string;
  /** The first call's outcome; undefined while it is still running. */
  outcome: IdempotentOutcome | undefined;
  createdAt: number;
}
