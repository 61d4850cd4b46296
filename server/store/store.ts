import type { JsonObject } from "@bufbuild/protobuf";
import type {
  NewPermissionRequest,
  PermissionDecisionWrite,
  PermissionRequestRecord,
  PermissionRuleRecord,
  WorkspacePermissions,
} from "./permission-records.js";
import type {
  AcceptLaunchWrite,
  CommandRecord,
  IdempotencyRecord,
  IdempotentOutcome,
  MachineRecord,
  NewCommand,
  NewSessionEvent,
  NewToken,
  SessionEventRecord,
  SessionMoveWrite,
  SessionPatch,
  SessionQuery,
  SessionRecord,
  SessionStateName,
  TokenRecord,
  TranscriptAppend,
  TranscriptAppended,
  TranscriptQuery,
  WorkspaceRecord,
} from "./store-records.js";
import type { TokenChangeFeed } from "./token-change-feed.js";
import type { WebhookStore } from "./webhook-store.js";

export type { WebhookStore } from "./webhook-store.js";
export type { TokenChangeFeed, TokenFeedStart } from "./token-change-feed.js";

export type * from "./store-records.js";
export type * from "./webhook-records.js";
export type * from "./permission-records.js";
export { defaultWorkspacePermissions } from "./permission-records.js";

/**
 * The store: everything the server keeps. One interface, implemented for SQLite
 * (the embedded default) and PostgreSQL, so every method is async and
 * takes the request's AbortSignal where a request drives it. Times are Unix
 * milliseconds. Records carry domain values (objects, not JSON text): each
 * engine serialises them in its own row mapper.
 *
 * Implementations map their engine's errors to ConnectError in one adapter file
 * (`sqlite/sqlite-errors.ts`, `postgres/postgres-errors.ts`): a unique-key clash is
 * `already_exists`, a missing parent row `failed_precondition`, a store that
 * cannot record (disk full, database file deleted or replaced, connection
 * lost) `unavailable`, anything else `internal`, with no SQL or path in the
 * message.
 */
export interface Store extends WebhookStore {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;

  /** Creates a workspace; permission settings not given are `defaultWorkspacePermissions`. */
  createWorkspace(workspaceId: string, now: number, permissions?: Partial<WorkspacePermissions>): Promise<WorkspaceRecord>;
  getWorkspace(workspaceId: string, signal?: AbortSignal): Promise<WorkspaceRecord | undefined>;
  listWorkspaces(): Promise<WorkspaceRecord[]>;
  /** Changes the permission settings given, keeping the others; undefined when there is no such workspace. */
  updateWorkspacePermissions(workspaceId: string, permissions: Partial<WorkspacePermissions>): Promise<WorkspaceRecord | undefined>;

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
  /** The token with this id, live or revoked. */
  getToken(tokenId: string, signal?: AbortSignal): Promise<TokenRecord | undefined>;
  /**
   * Revokes a token by id; false when no live token had that id. Resolves
   * once no token cache of any process on the database may still admit it
   * (see `TokenChangeFeed`).
   */
  revokeToken(tokenId: string, now: number): Promise<boolean>;
  /**
   * Revokes every live token of a machine except `keepTokenId` (a machine
   * re-registered: its new token stays); returns the ids revoked, in id order.
   * Resolves as `revokeToken` does.
   */
  revokeMachineTokens(machineId: string, keepTokenId: string, now: number): Promise<string[]>;
  /**
   * Tokens, live and revoked, oldest first (create time, then id): every one,
   * or with `workspaceId` the API tokens that may act on that workspace.
   */
  listTokens(workspaceId?: string, signal?: AbortSignal): Promise<TokenRecord[]>;
  /** Of `tokenIds`, those revoked: what ends the open streams of a revoked token. */
  listRevokedTokens(tokenIds: readonly string[]): Promise<string[]>;
  /**
   * Tells a token cache when what `findTokenByHash` and `getMachine` answer
   * for a token may have changed (see `TokenChangeFeed`). A store without one
   * has its lookups never cached.
   */
  readonly tokenChanges?: TokenChangeFeed;

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

  /**
   * Commits an accepted launch in one transaction (see `AcceptLaunchWrite`):
   * every row of it, or nothing when any fails (a duplicate command id, a
   * reused session gone). Resolves with the session as stored and its event.
   */
  acceptLaunch(write: AcceptLaunchWrite, signal?: AbortSignal): Promise<{ session: SessionRecord; event: SessionEventRecord }>;
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
   *
   * `move`: the state change the acknowledgement makes, planned on a copy of
   * its session: written in the same transaction when this call is `first`
   * and the move is the command's own session's, under `moveSession`'s guard
   * (only while the session is still in `move.from`). `moved` is what it
   * wrote, absent when it wrote nothing (not first, or the session moved on:
   * decide the move again on the stored session). The acknowledgement is
   * recorded either way.
   */
  recordAck(ack: { commandId: string; machineId: string; status: string; payload: JsonObject; now: number; move?: SessionMoveWrite }):
    Promise<{ command: CommandRecord; first: boolean; moved?: { session: SessionRecord; events: SessionEventRecord[] } } | undefined>;

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

  /**
   * Stores a pending permission request, once per session and request id:
   * `created` is false (and nothing changes) when it was stored before.
   * A session that does not exist is `failed_precondition`.
   */
  createPermissionRequest(request: NewPermissionRequest, signal?: AbortSignal): Promise<{ request: PermissionRequestRecord; created: boolean }>;
  getPermissionRequest(sessionId: string, requestId: string, signal?: AbortSignal): Promise<PermissionRequestRecord | undefined>;
  /** Undecided requests of a workspace (of one session, with `sessionId`), oldest first (create time, then id). */
  listPendingPermissionRequests(query: { workspaceId: string; sessionId?: string }, signal?: AbortSignal): Promise<PermissionRequestRecord[]>;
  /**
   * Decides a request if it is still pending, atomically: of two decisions at
   * once (on any replica) exactly one has `decided` true; the other gets the
   * request as the winner stored it. A winning decision with `rule` stores
   * the rule in the same transaction. Undefined when there is no such request.
   */
  decidePermissionRequest(write: PermissionDecisionWrite, signal?: AbortSignal): Promise<{ request: PermissionRequestRecord; decided: boolean } | undefined>;
  /** Marks a decided request delivered (its daemon acknowledged it); false when it is not decided or not there. */
  markPermissionDelivered(sessionId: string, requestId: string): Promise<boolean>;
  /** Decided, undelivered requests of a machine's sessions whose state is one of `states`, oldest decision first. */
  listUndeliveredPermissionDecisions(machineId: string, states: readonly SessionStateName[], signal?: AbortSignal): Promise<PermissionRequestRecord[]>;
  /** Pending requests whose expire time is at or before `now`, soonest first, at most `limit`. */
  listExpiredPermissionRequests(now: number, limit: number): Promise<PermissionRequestRecord[]>;
  /** The session's remembered rules, oldest first. */
  listPermissionRules(sessionId: string, signal?: AbortSignal): Promise<PermissionRuleRecord[]>;

  /**
   * A harmless write that takes the engine's write path for real (a write
   * that changes nothing may succeed on a full disk): what readiness probes.
   * Rejects as any write would, `unavailable` when the store cannot record.
   */
  checkWritable(signal?: AbortSignal): Promise<void>;
}

/** The Store methods of workspace permission settings, permission requests and rules (each engine's `*-permission-methods.ts`). */
export type PermissionStoreMethod =
  | "updateWorkspacePermissions"
  | "createPermissionRequest"
  | "getPermissionRequest"
  | "listPendingPermissionRequests"
  | "decidePermissionRequest"
  | "markPermissionDelivered"
  | "listUndeliveredPermissionDecisions"
  | "listExpiredPermissionRequests"
  | "listPermissionRules";
