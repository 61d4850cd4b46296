import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { kPrincipal, type Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/daemon-hub.js";
import type { SessionLifecycle } from "../sessions/session-lifecycle.js";
import type { Store } from "../store/store.js";

export interface DaemonServiceOptions {
  store: Store;
  hub: DaemonHub;
  lifecycle: SessionLifecycle;
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

/** The daemon-facing service: command streams, acknowledgements and state reports. */
export function createDaemonService(options: DaemonServiceOptions): ServiceImpl<typeof DaemonService> {
  const { store, hub, lifecycle } = options;
  return {
    async *subscribe(req, ctx) {
      const { machineId } = machineOf(ctx);
      await store.recordMachineSeen(machineId, { daemonVersion: req.daemonVersion, hostname: req.hostname, now: Date.now() });
      const stream = hub.subscribe(machineId, { daemonVersion: req.daemonVersion, hostname: req.hostname }, ctx.signal);
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
      const recorded = await store.recordAck({
        commandId: req.commandId,
        machineId,
        status: req.status,
        payloadJson: JSON.stringify(payload),
        now: Date.now(),
      });
      if (!recorded) throw new ConnectError(`command ${req.commandId} not found`, Code.NotFound);
      if (!recorded.first) return {};
      const ack = { status: req.status, payload };
      if (hub.deliverAck(req.commandId, ack)) return {};
      // Nobody waits any more (the launch deadline passed, or the caller left):
      // the acknowledgement is still recorded on the session.
      if (recorded.command.kind === "launch") {
        const session = await store.getSessionById(recorded.command.sessionId, ctx.signal);
        if (session) await lifecycle.acknowledged(session, ack);
      }
      return {};
    },

    async reportSessionState(req, ctx) {
      const { machineId } = machineOf(ctx);
      const state = reportedStates.get(req.state);
      if (!state) throw new ConnectError("state must be RUNNING, EXITED or FAILED", Code.InvalidArgument);
      const session = await store.getSessionById(req.sessionId, ctx.signal);
      if (!session || session.machineId !== machineId) throw new ConnectError(`session ${req.sessionId} not found`, Code.NotFound);
      await store.recordMachineSeen(machineId, { now: Date.now() });
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
