import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { type Client, createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { type DaemonCommand, DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../gen/workspaces/v1/machine_service_pb.js";
import type { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import type { TranscriptEntrySchema } from "../../gen/workspaces/v1/transcript_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { generateToken } from "../../server/auth/api-token.js";
import { type App, type AppOptions, createApp } from "../../server/create-app.js";
import { createSqliteStore } from "../../server/store/sqlite/create-sqlite-store.js";
import type { Store } from "../../server/store/store.js";
import { pollUntil } from "./poll-until.js";

/**
 * The whole app in one process, with no socket: `createApp` on an in-memory
 * SQLite store, reached through Connect's in-memory router transport, so the
 * same interceptors (error sanitizing, auth) and services run as on the wire.
 * Workspace `ws` has machine `m1` (its default); `apiToken` may act on `ws`.
 */
export interface InProcessApp {
  app: App;
  store: Store;
  /** The in-memory transport to the app. */
  transport: Transport;
  workspaceId: string;
  machineId: string;
  apiToken: string;
  /** Id of `apiToken`: what a stop records as who stopped a session. */
  apiTokenId: string;
  /** What the app logged (its `log` option): the error, or the message when there is none. */
  logged: unknown[];
  /** WorkspaceSessionService with `apiToken`. */
  sessions: Client<typeof WorkspaceSessionService>;
  machines: Client<typeof MachineService>;
  /** `Authorization` headers for `token` (default `apiToken`). */
  headers(token?: string): Record<string, string>;
  /** Creates a machine in the workspace and a machine token for it. */
  addMachine(machineId: string): Promise<string>;
  /** Subscribes a test daemon for `machineId` (default `m1`) and waits until the hub has it online. */
  daemon(options?: TestDaemonOptions): Promise<TestDaemon>;
  close(): Promise<void>;
}

export interface TestDaemonOptions {
  machineId?: string;
  /** When set, every launch is acknowledged at once with this status and payload. */
  autoAck?: (command: DaemonCommand) => { status: "ok" | "error"; payload: JsonObject } | undefined;
  /** What the daemon says it still runs when it subscribes. */
  runningSessions?: { sessionId: string; pid: number; agentSessionId: string }[];
}

/** A daemon written against the public DaemonService, over the in-memory transport. */
export interface TestDaemon {
  machineId: string;
  /** Every launch and stop command received, in order (pings left out). */
  commands: DaemonCommand[];
  /** The next command not yet taken (waits for it). */
  nextCommand(): Promise<DaemonCommand>;
  acknowledge(commandId: string, status: "ok" | "error", payload?: JsonObject): Promise<void>;
  report(sessionId: string, state: SessionState, extra?: { exitCode?: number; message?: string; pid?: number }): Promise<void>;
  /** AppendTranscript of `entries` from `fromOffset`; the server's next offset. */
  appendTranscript(sessionId: string, fromOffset: number, entries: MessageInitShape<typeof TranscriptEntrySchema>[]): Promise<number>;
  /** Ends the Subscribe stream (the daemon goes away) and waits until the hub has it offline. */
  stop(): Promise<void>;
}

export interface InProcessAppOptions extends Omit<AppOptions, "store"> {}

export async function createInProcessApp(options: InProcessAppOptions = {}): Promise<InProcessApp> {
  const store = createSqliteStore({ path: ":memory:" });
  await store.migrate();
  const workspaceId = "ws";
  const machineId = "m1";
  await store.createWorkspace(workspaceId, 1);
  const logged: unknown[] = [];
  const app = createApp({
    store,
    log: (message, error) => logged.push(error ?? message),
    webRoot: "/nonexistent",
    ...options,
  });
  const transport = createRouterTransport(app.routes, { router: app.routerOptions });
  const api = generateToken("api");
  await store.createToken({ tokenId: api.tokenId, kind: "api", hashHex: api.hashHex, workspaceIds: [workspaceId], machineId: undefined, now: 1 });
  const daemons: TestDaemon[] = [];

  async function addMachine(id: string): Promise<string> {
    if (!(await store.getMachine(id))) await store.createMachine({ machineId: id, workspaceId, makeDefault: false, now: 1 });
    const t = generateToken("machine");
    await store.createToken({ tokenId: t.tokenId, kind: "machine", hashHex: t.hashHex, workspaceIds: [], machineId: id, now: 1 });
    return t.token;
  }
  await store.createMachine({ machineId, workspaceId, makeDefault: true, now: 1 });
  const headers = (token = api.token) => ({ Authorization: `Bearer ${token}` });

  return {
    app,
    store,
    transport,
    workspaceId,
    machineId,
    apiToken: api.token,
    apiTokenId: api.tokenId,
    logged,
    sessions: createClient(WorkspaceSessionService, transport),
    machines: createClient(MachineService, transport),
    headers,
    addMachine,
    async daemon(daemonOptions = {}) {
      const id = daemonOptions.machineId ?? machineId;
      const daemon = await startTestDaemon(transport, app, id, headers(await addMachine(id)), daemonOptions);
      daemons.push(daemon);
      return daemon;
    },
    async close() {
      for (const d of daemons) await d.stop().catch(() => {});
      app.close();
      await store.close();
    },
  };
}

async function startTestDaemon(
  transport: Transport,
  app: App,
  machineId: string,
  headers: Record<string, string>,
  options: TestDaemonOptions,
): Promise<TestDaemon> {
  const client = createClient(DaemonService, transport);
  const controller = new AbortController();
  const commands: DaemonCommand[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  const daemon: TestDaemon = {
    machineId,
    commands,
    async nextCommand() {
      while (commands.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve));
      return commands[taken++]!;
    },
    async acknowledge(commandId, status, payload = {}) {
      await client.acknowledge({ commandId, status, payload }, { headers });
    },
    async report(sessionId, state, extra = {}) {
      await client.reportSessionState({ sessionId, state, message: extra.message ?? "", pid: extra.pid ?? 0, ...(extra.exitCode !== undefined ? { exitCode: extra.exitCode } : {}) }, { headers });
    },
    async appendTranscript(sessionId, fromOffset, entries) {
      const answer = await client.appendTranscript({ sessionId, fromOffset: BigInt(fromOffset), entries }, { headers });
      return Number(answer.nextOffset);
    },
    async stop() {
      // Stopped before: a newer daemon of the machine may hold it online by now.
      if (controller.signal.aborted) return;
      controller.abort();
      await pollUntil(async () => !(await app.hub.isOnline(machineId)), { what: `machine ${machineId} to go offline`, intervalMs: 1 });
    },
  };
  const stream = client.subscribe(
    { daemonVersion: "test", hostname: "test-host", runningSessions: options.runningSessions ?? [] },
    { headers, signal: controller.signal },
  );
  (async () => {
    for await (const command of stream) {
      if (command.kind.case === "ping") continue;
      commands.push(command);
      for (const wake of waiters.splice(0)) wake();
      const ack = command.kind.case === "launch" ? options.autoAck?.(command) : undefined;
      if (ack) await daemon.acknowledge(command.commandId, ack.status, ack.payload);
    }
  })().catch(() => {});
  await pollUntil(() => app.hub.isOnline(machineId), { what: `machine ${machineId} to come online`, intervalMs: 1 });
  return daemon;
}
