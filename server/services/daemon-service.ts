import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { kPrincipal, type Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { Launcher } from "../launch/create-launcher.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { Store } from "../store/store.js";

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
 * machine's command stream in the hub, `Acknowledge` hands an answer to the
 * launch room, `ReportSessionState` moves the session through its lifecycle.
 */
export function createDaemonService(options: DaemonServiceOptions): ServiceImpl<typeof DaemonService> {
  const { store, hub, launcher, lifecycle } = options;
  const now = options.now ?? Date.now;
  return {
    async *subscribe(req, ctx) {
      const { machineId } = machineOf(ctx);
      await store.recordMachineSeen(machineId, { daemonVersion: req.daemonVersion, hostname: req.hostname, now: now() });
      const stream = hub.subscribe(machineId, { daemonVersion: req.daemonVersion, hostname: req.hostname }, ctx.signal);
      await lifecycle.machineOnline(
        machineId,
        req.runningSessions.map((s) => ({ sessionId: s.sessionId, pid: s.pid, agentSessionId: s.agentSessionId })),
        req.endedSessions,
      );
      // Agents the daemon still runs for sessions that ended here (answered with an error, say) are stopped:
      // the stops are recorded now and delivered on this stream as soon as it opens.
      await launcher.reconciler.reconcileMachine(machineId, req.runningSessions);
      yield* stream;
      // Cut short by the server (a shutdown): the daemon learns it must reconnect, possibly elsewhere.
      if (ctx.signal.aborted) throw ctx.signal.reason;
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
