import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { onTestFinished } from "vitest";
import { type DaemonCommand, DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { type LaunchWorkspaceSessionRequest, LaunchWorkspaceSessionRequestSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import type { Principal } from "../../../server/auth/principal.js";
import { createDaemonHub, type DaemonHub } from "../../../server/hub/create-daemon-hub.js";
import { createLocalBackplane } from "../../../server/hub/create-local-backplane.js";
import { type AcceptDeps, type AcceptedLaunch, acceptLaunch } from "../../../server/launch/accept-launch.js";
import { acknowledgeCommand } from "../../../server/launch/acknowledge-command.js";
import { type AbandonedCommands, createAbandonedCommands } from "../../../server/launch/create-abandoned-commands.js";
import { type CommandSender, createCommandSender } from "../../../server/launch/create-command-sender.js";
import { createIdempotencyKeys, type IdempotencyKeys } from "../../../server/launch/create-idempotency-keys.js";
import type { DispatchDeps } from "../../../server/launch/dispatch-launch.js";
import { createSessionEventBus, type SessionEventBus } from "../../../server/sessions/create-session-event-bus.js";
import { createSessionLifecycle, type SessionLifecycle } from "../../../server/sessions/create-session-lifecycle.js";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { CommandKind, SessionRecord, SessionStateName, Store } from "../../../server/store/store.js";
import { session } from "../store/store-contract-fixtures.js";

/**
 * The launch room's real neighbours, in process: an in-memory SQLite store
 * (migrated; workspace `ws` with its default machine `m1`), the daemon hub,
 * the event bus, the lifecycle, the Idempotency-Keys and the command sender.
 * Closed when the test that made it finishes.
 */
export interface LaunchRoom {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  lifecycle: SessionLifecycle;
  keys: IdempotencyKeys;
  sender: CommandSender;
  abandoned: AbandonedCommands;
  /** Commands whose acknowledgement the hub was handed while nobody here waited for it. */
  unclaimedAcks: string[];
  /** What the keys (and anything given `log`) logged. */
  logged: { message: string; error: unknown }[];
  log: (message: string, error?: unknown) => void;
  /** An API token on `ws`. */
  principal: Principal & { kind: "api" };
  acceptDeps: AcceptDeps;
  /** Deps of `dispatchLaunch`, with a short launch deadline by default (50 ms). */
  dispatchDeps(): DispatchDeps;
  /** `acceptLaunch` with the room's principal and a fresh signal. */
  /** Accepts a launch whose acknowledgement the dispatch then awaits `waitMs` (default 50 ms). */
  accept(request?: LaunchWorkspaceSessionRequest, idempotencyKey?: string, waitMs?: number): Promise<AcceptedLaunch>;
  accept(request?: LaunchWorkspaceSessionRequest, idempotencyKey?: string, waitMs?: number): Promise<AcceptedLaunch>;
  /** A daemon's Acknowledge call, through the real `acknowledgeCommand`. */
  acknowledge(commandId: string, status: "ok" | "error", payload?: JsonObject, machineId?: string): Promise<void>;
  /** Stores a session on `m1` in `ws` (any state), as a finished or running launch left it. */
  addSession(init: Partial<SessionRecord> & { sessionId: string }): Promise<SessionRecord>;
  /** Appends `[type, state]` events to a session's history, as earlier runs left it. */
  appendHistory(sessionId: string, entries: readonly (readonly [string, SessionStateName])[]): Promise<void>;
  /** Subscribes a daemon for `machineId` (default `m1`) straight on the hub; online when this returns. */
  daemon(options?: HubDaemonOptions): HubDaemon;
}

export interface HubDaemonOptions {
  machineId?: string;
  /** Called with every launch and stop command, in order (an auto-acknowledging daemon). */
  onCommand?: (command: DaemonCommand) => unknown;
}

/** A daemon reading the hub's command stream, as the Subscribe handler would. */
export interface HubDaemon {
  commands: DaemonCommand[];
  /** The next command not yet taken (waits for it). */
  nextCommand(): Promise<DaemonCommand>;
  /** Ends the stream and waits until the hub has let it go. */
  disconnect(): Promise<void>;
}

export const workspaceId = "ws";
export const machineId = "m1";

/** A valid launch request on `ws`. */
export function launchRequest(init: MessageInitShape<typeof LaunchWorkspaceSessionRequestSchema> = {}): LaunchWorkspaceSessionRequest {
  return create(LaunchWorkspaceSessionRequestSchema, { workspaceId, initialPrompt: "hi", ...init });
}

/** `path`: the SQLite file (default a private in-memory database). */
export async function createLaunchRoom(options: { path?: string } = {}): Promise<LaunchRoom> {
  const store = createSqliteStore({ path: options.path ?? ":memory:" });
  await store.migrate();
  await store.createWorkspace(workspaceId, 1);
  await store.createMachine({ machineId, workspaceId, makeDefault: true, now: 1 });
  // A local backplane that notes every acknowledgement the hub found no waiter for.
  const unclaimedAcks: string[] = [];
  const backplane = { ...createLocalBackplane(), acked: async (commandId: string) => void unclaimedAcks.push(commandId) };
  const hub = createDaemonHub({ store, backplane });
  const events = createSessionEventBus({ store });
  const lifecycle = createSessionLifecycle({ store, events });
  const logged: LaunchRoom["logged"] = [];
  const log = (message: string, error?: unknown) => logged.push({ message, error });
  const keys = createIdempotencyKeys({ store, log });
  const sender = createCommandSender({ store, hub });
  const abandoned = createAbandonedCommands({ store, lifecycle, log, now: Date.now, retryMs: 20 });
  const acceptDeps: AcceptDeps = { store, hub, events, keys, now: Date.now };
  const principal = { kind: "api" as const, tokenId: "token-1", workspaceIds: new Set([workspaceId]), scopes: new Set(["sessions" as const]) };
  const daemons: HubDaemon[] = [];
  /** The launches the room's dispatches are waiting on, shared with `acknowledge` as the launcher shares them. */
  const launching = new Map<string, SessionRecord>();
  onTestFinished(async () => {
    for (const d of daemons) await d.disconnect();
    abandoned.close();
    hub.close();
    await store.close();
  });
  return {
    store,
    hub,
    events,
    lifecycle,
    keys,
    sender,
    abandoned,
    unclaimedAcks,
    logged,
    log,
    principal,
    acceptDeps,
    dispatchDeps: () => ({ store, sender, lifecycle, keys, abandoned, log, now: Date.now, launching }),
    accept(request = launchRequest(), idempotencyKey, waitMs = 50) {
      const signal = new AbortController().signal;
      return acceptLaunch(acceptDeps, principal, request, idempotencyKey === undefined ? { signal, waitMs } : { signal, idempotencyKey, waitMs });
    },
    acknowledge(commandId, status, payload = {}, machine = machineId) {
      return acknowledgeCommand({ store, hub, lifecycle, sender, abandoned, log, now: Date.now, launching }, machine, { commandId, status, payload }, new AbortController().signal);
    },
    async addSession(init) {
      const record = session({ workspaceId, machineId, ...init });
      await store.createSession(record);
      return record;
    },
    async appendHistory(sessionId, entries) {
      for (const [type, state] of entries) {
        await events.append({ sessionId, type, state, machineId, acknowledgement: undefined, exitCode: undefined, message: "", now: 1 });
      }
    },
    daemon(options = {}) {
      const daemon = subscribeDaemon(hub, options.machineId ?? machineId, options.onCommand);
      daemons.push(daemon);
      return daemon;
    },
  };
}

function subscribeDaemon(hub: DaemonHub, id: string, onCommand: HubDaemonOptions["onCommand"]): HubDaemon {
  const controller = new AbortController();
  const commands: DaemonCommand[] = [];
  const waiters: (() => void)[] = [];
  let taken = 0;
  // The hub registers the stream on its first read, which happens before this returns.
  const pumped = (async () => {
    for await (const command of hub.subscribe(id, { daemonVersion: "test", hostname: "test-host" }, controller.signal)) {
      if (command.kind.case === "ping") continue;
      commands.push(command);
      for (const wake of waiters.splice(0)) wake();
      await onCommand?.(command);
    }
  })();
  return {
    commands,
    async nextCommand() {
      while (commands.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve));
      return commands[taken++]!;
    },
    async disconnect() {
      controller.abort();
      await pumped;
    },
  };
}

/** The session id of a launch or stop command. */
export function sessionIdOf(command: DaemonCommand): string {
  return command.kind.case === "launch" || command.kind.case === "stop" ? command.kind.value.sessionId : "";
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** A promise and its settle functions (Node 20 has no `Promise.withResolvers`). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A command row as the launch room records it before the push. */
export function storedCommand(commandId: string, sessionId: string, kind: CommandKind = "launch", deadlineAt?: number) {
  const command = create(DaemonCommandSchema, { commandId, kind: { case: kind, value: { sessionId } } as never });
  return { commandId, machineId, sessionId, kind, command, deadlineAt, now: 1 };
}

/** The request a launch's stored command carries to the daemon. */
export function commandRequest(launch: AcceptedLaunch): LaunchWorkspaceSessionRequest | undefined {
  return launch.command?.kind.case === "launch" ? launch.command.kind.value.request : undefined;
}
