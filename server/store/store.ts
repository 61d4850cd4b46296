import type { JsonObject } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";

/**
 * The store: everything the server keeps. One interface, implemented for SQLite
 * (the embedded default) and PostgreSQL, so every method is async and
 * takes the request's AbortSignal where a request drives it. Times are Unix
 * milliseconds. Records carry domain values (objects, not JSON text): each
 * engine serialises them in its own row mapper.
 *
 * Implementations map their engine's errors to ConnectError in one adapter file
 * (`sqlite/sqlite-errors.ts`, `postgres/postgres-errors.ts`): a unique-key clash is
 * `already_exists`, a missing parent row `failed_precondition`, anything else
 * `internal` with no SQL or path in the message.
 */
export interface Store {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;

  createWorkspace(workspaceId: string, now: number): Promise<WorkspaceRecord>;
  getWorkspace(workspaceId: string, signal?: AbortSignal): Promise<WorkspaceRecord | undefined>;
  listWorkspaces(): Promise<WorkspaceRecord[]>;

  /**
   * Creates a machine in a workspace. It becomes the workspace's default when
   * `makeDefault` is set or when the workspace has no default yet.
   */
  createMachine(init: { machineId: string; workspaceId: string; makeDefault: boolean; now: number }): Promise<MachineRecord>;
  getMachine(machineId: string, signal?: AbortSignal): Promise<MachineRecord | undefined>;
  /** Machines of the given workspaces (all when undefined), ordered by workspace then id. */
  listMachines(workspaceIds?: readonly string[], signal?: AbortSignal): Promise<MachineRecord[]>;
  /** Records what a daemon said when it subscribed, and when it was last heard from. */
  recordMachineSeen(machineId: string, seen: { daemonVersion?: string; hostname?: string; now: number }): Promise<void>;

  /** Stores a token by its SHA-256 hash (hex). The plain token is never stored. */
  createToken(init: NewToken): Promise<TokenRecord>;
  /** The live (not revoked) token with this hash. */
  findTokenByHash(hashHex: string, signal?: AbortSignal): Promise<TokenRecord | undefined>;
  /** Revokes a token by id; false when no live token had that id. */
  revokeToken(tokenId: string, now: number): Promise<boolean>;
  listTokens(): Promise<TokenRecord[]>;
  /** Of `tokenIds`, those revoked: what ends the open streams of a revoked token. */
  listRevokedTokens(tokenIds: readonly string[]): Promise<string[]>;

  /** Inserts a session; committed when the promise resolves. */
  createSession(session: SessionRecord, signal?: AbortSignal): Promise<void>;
  getSession(workspaceId: string, sessionId: string, signal?: AbortSignal): Promise<SessionRecord | undefined>;
  getSessionById(sessionId: string, signal?: AbortSignal): Promise<SessionRecord | undefined>;
  /** Applies a patch; returns the updated row, undefined when there is none. */
  updateSession(sessionId: string, patch: SessionPatch, signal?: AbortSignal): Promise<SessionRecord | undefined>;
  /** Sessions of a workspace, newest first (create time, then id), after the cursor. */
  listSessions(query: SessionQuery, signal?: AbortSignal): Promise<SessionRecord[]>;
  /** Sessions in one of `states` not updated since `updatedBefore`, oldest first, at most `limit`: what the reconciler settles. */
  listStaleSessions(states: readonly SessionStateName[], updatedBefore: number, limit: number): Promise<SessionRecord[]>;
  /** Sessions on a machine whose state is one of `states`. */
  listSessionsOnMachine(machineId: string, states: readonly SessionStateName[], signal?: AbortSignal): Promise<SessionRecord[]>;

  /** Appends an event to a session's history; assigns and returns the next sequence (1, 2, …). */
  appendSessionEvent(event: NewSessionEvent, signal?: AbortSignal): Promise<SessionEventRecord>;
  /**
   * Moves a session in one transaction: applies `patch` only while its stored
   * state is still `from`, and appends `events` to its history. So two
   * processes that read the same state cannot both move the session, and a
   * crash leaves the row and its events both written or neither. Undefined,
   * with nothing written, when the session is gone or no longer in `from`.
   */
  moveSession(move: SessionMoveWrite, signal?: AbortSignal): Promise<{ session: SessionRecord; events: SessionEventRecord[] } | undefined>;
  /** A session's events with sequence > afterSequence, in order. */
  listSessionEvents(sessionId: string, afterSequence: number, signal?: AbortSignal): Promise<SessionEventRecord[]>;

  /**
   * Appends transcript entries of a session of `machineId` as `transcript`
   * events, in one transaction: the session's `transcriptLength` says how many
   * entries of its current run are stored, so entries below it (a resend) are
   * skipped and a batch starting past it (a gap) stores nothing. Each stored
   * entry gets its offset and the next sequence; the events carry the
   * session's current state. Undefined when the machine has no such session.
   */
  appendTranscript(append: TranscriptAppend, signal?: AbortSignal): Promise<TranscriptAppended | undefined>;
  /** A page of a session's `transcript` events (see TranscriptQuery), oldest first, with the session's last sequence. */
  listTranscript(query: TranscriptQuery, signal?: AbortSignal): Promise<{ events: SessionEventRecord[]; lastSequence: number }>;

  /** Records a command sent to a daemon, before it is pushed. */
  createCommand(command: NewCommand, signal?: AbortSignal): Promise<void>;
  getCommand(commandId: string, signal?: AbortSignal): Promise<CommandRecord | undefined>;
  /**
   * Gives up waiting for a command's acknowledgement: marks it `expired` unless
   * an acknowledgement was recorded first. The first of `recordAck` and
   * `expireCommand` wins; returns the command as stored, with `expired`
   * telling whether this call won. Undefined when there is no such command.
   */
  expireCommand(commandId: string, now: number): Promise<{ command: CommandRecord; expired: boolean } | undefined>;
  /**
   * A machine's commands still waiting for an acknowledgement and not past
   * their deadline, oldest first: what a reconnecting daemon gets again.
   */
  listPendingCommands(machineId: string, now: number, signal?: AbortSignal): Promise<CommandRecord[]>;
  /** Commands of every machine still unacknowledged past their deadline, oldest first, at most `limit`. */
  listOverdueCommands(now: number, limit: number): Promise<CommandRecord[]>;
  /**
   * Records the acknowledgement of a command. The first one wins; a repeat is
   * harmless. Returns the command as stored, with `first` telling whether this
   * call recorded it. Undefined when no such command exists for that machine.
   */
  recordAck(ack: { commandId: string; machineId: string; status: string; payload: JsonObject; now: number }):
    Promise<{ command: CommandRecord; first: boolean } | undefined>;

  /**
   * Claims an idempotency key for a token. Returns undefined when this call
   * claimed it, or the existing entry (with its session id and, once finished,
   * its stored response) when an earlier call did.
   */
  claimIdempotencyKey(init: { tokenId: string; key: string; sessionId: string; requestHash: string; now: number }):
    Promise<IdempotencyRecord | undefined>;
  /** Records which session a claimed key launched, so a key whose call never settled can be settled from it. */
  bindIdempotencyKey(tokenId: string, key: string, sessionId: string): Promise<void>;
  /** Keys claimed before `createdBefore` whose call never stored an outcome, oldest first, at most `limit`. */
  listUnfinishedIdempotencyKeys(createdBefore: number, limit: number): Promise<IdempotencyRecord[]>;
  /** Stores the final outcome of an idempotent call. */
  completeIdempotencyKey(tokenId: string, key: string, outcome: IdempotentOutcome): Promise<void>;
  /**
   * Gives up a claim whose call failed before it started anything (for example
   * an offline machine), so a retry runs again. A completed key stays.
   */
  releaseIdempotencyKey(tokenId: string, key: string): Promise<void>;
}

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

export interface NewToken {
  tokenId: string;
  kind: TokenKind;
  /** SHA-256 of the plain token, lower-case hex. */
  hashHex: string;
  /** For API tokens: the workspaces it may act on (at least one). */
  workspaceIds: readonly string[];
  /** For machine tokens: the one machine it speaks for. */
  machineId: string | undefined;
  now: number;
}

export interface TokenRecord {
  tokenId: string;
  kind: TokenKind;
  hashHex: string;
  workspaceIds: string[];
  machineId: string | undefined;
  createdAt: number;
  revokedAt: number | undefined;
}

/** Lower-case state names, stored as text. */
export type SessionStateName = "pending" | "dispatched" | "running" | "exited" | "failed" | "unknown" | "stopped";

/** Who a transcript entry comes from (the proto enum's suffix, lower case). */
export type TranscriptRoleName = "user" | "assistant" | "system" | "tool";
/** What a transcript entry holds (the proto enum's suffix, lower case). */
export type TranscriptKindName = "text" | "tool_call" | "tool_result" | "result" | "error" | "raw";

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
  /** The entry, on `transcript` events. */
  entry?: TranscriptEntryRecord;
  now: number;
}

export interface SessionEventRecord extends Omit<NewSessionEvent, "now"> {
  sequence: number;
  time: number;
}

export type CommandKind = "launch" | "stop" | "message";

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
