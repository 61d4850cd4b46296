import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { kPrincipal, type Principal } from "../auth/principal.js";
import { type DaemonHub, instanceHash } from "../hub/create-daemon-hub.js";
import type { Launcher } from "../launch/create-launcher.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { Store } from "../store/store.js";
import { kConnectionProbe } from "../transport/connection-probe.js";

export interface DaemonServiceOptions {
  store: Store;
  hub: DaemonHub;
  launcher: Launcher;
  lifecycle: SessionLifecycle;
  /** Clock, in Unix milliseconds. Default `Date.now`. */
  now?: () => number;
}

function machineOf(ctx: HandlerContext): Principal & { kind: "machine" } {
  const principal = ctx.values.get(kPrincipal);
  if (principal?.kind !== "machine") throw new ConnectError("a machine token is required", Code.PermissionDenied);
  return principal;
}

const reportedStates = new Map<SessionState, "running" | "exited" | "failed">([
  [SessionState.RUNNING, "running"],
  [SessionState.EXITED, "exited"],
  [SessionState.FAILED, "failed"],
]);

/**
 * The daemon-facing service, for machine tokens only: `Subscribe` opens the
 * machine's command stream in the hub (refused `already_exists`, before
 * anything is recorded, while another daemon instance holds a live one), `Acknowledge` hands an answer to the
 * launch room, `ReportSessionState` moves the session through its lifecycle.
 */
export function createDaemonService(options: DaemonServiceOptions): ServiceImpl<typeof DaemonService> {
  const { store, hub, launcher, lifecycle } = options;
  const now = options.now ?? Date.now;
  return {
    async *subscribe(req, ctx) {
      const { machineId } = machineOf(ctx);
      // Before anything is recorded: another live instance keeps the machine.
      const holder = { instanceId: req.instanceId, probe: ctx.values.get(kConnectionProbe) };
      await hub.checkTakeover(machineId, { ...holder, hostname: req.hostname });
      await store.recordMachineSeen(machineId, { daemonVersion: req.daemonVersion, hostname: req.hostname, now: now() });
      const info = {
        daemonVersion: req.daemonVersion,
        hostname: req.hostname,
        ...(req.instanceId !== "" ? { instanceHash: instanceHash(req.instanceId) } : {}),
      };
      const stream = hub.subscribe(machineId, info, ctx.signal, holder);
      await lifecycle.machineOnline(
        machineId,
        req.runningSessions.map((s) => ({ sessionId: s.sessionId, pid: s.pid, agentSessionId: s.agentSessionId })),
      );
      yield* stream;
    },

    async acknowledge(req, ctx) {
      const { machineId } = machineOf(ctx);
      if (req.status !== "ok" && req.status !== "error") {
        throw new ConnectError('status must be "ok" or "error"', Code.InvalidArgument);
      }
      const payload: JsonObject = req.payload ?? {};
      await launcher.acknowledge(machineId, { commandId: req.commandId, status: req.status, payload }, ctx.signal);
      return {};
    },

    async reportSessionState(req, ctx) {
      const { machineId } = machineOf(ctx);
      const state = reportedStates.get(req.state);
      if (!state) throw new ConnectError("state must be RUNNING, EXITED or FAILED", Code.InvalidArgument);
      const session = await store.getSessionById(req.sessionId, ctx.signal);
      if (!session || session.machineId !== machineId) throw new ConnectError(`session ${req.sessionId} not found`, Code.NotFound);
      await store.recordMachineSeen(machineId, { now: now() });
      await lifecycle.reported(session, {
        state,
        ...(req.exitCode !== undefined ? { exitCode: req.exitCode } : {}),
        message: req.message,
        pid: req.pid,
      });
      return {};
    },
  };
}
