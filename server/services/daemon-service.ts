import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { AcknowledgeRequest, DaemonService, ReportSessionStateRequest } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { kPrincipal, type Principal } from "../auth/principal.js";
import { type DaemonHub, instanceHash } from "../hub/create-daemon-hub.js";
import type { Launcher } from "../launch/create-launcher.js";
import type { SessionEventBus } from "../sessions/create-session-event-bus.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import { transcriptEntryRecord } from "../sessions/transcript-entries.js";
import type { Store } from "../store/store.js";
import { kConnectionProbe } from "../transport/connection-probe.js";
import { streamReports } from "./stream-reports.js";

export interface DaemonServiceOptions {
  store: Store;
  hub: DaemonHub;
  launcher: Launcher;
  lifecycle: SessionLifecycle;
  /** Where transcript entries are stored and published. */
  events: SessionEventBus;
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

/** Most entries one AppendTranscript call may carry. */
const maxTranscriptBatch = 1000;
/** Most text one AppendTranscript call may carry, in UTF-16 units (about 4 MiB). */
const maxTranscriptBatchText = 4 * 1024 * 1024;

/**
 * The daemon-facing service, for machine tokens only: `Subscribe` opens the
 * machine's command stream in the hub (refused `already_exists`, before
 * anything is recorded, while another daemon instance holds a live one),
 * `Acknowledge` hands an answer to the launch room, `ReportSessionState`
 * moves the session through its lifecycle, `StreamReports` does both for
 * each item of one long-lived stream (`stream-reports.ts`), `AppendTranscript`
 * stores and publishes transcript entries and hands permission requests and
 * decisions to the approvals desk; a subscription gets undelivered decisions again.
 */
export function createDaemonService(options: DaemonServiceOptions): ServiceImpl<typeof DaemonService> {
  const { store, hub, launcher, lifecycle, events } = options;
  const now = options.now ?? Date.now;

  async function acknowledge(machineId: string, req: AcknowledgeRequest, signal: AbortSignal): Promise<void> {
    if (req.status !== "ok" && req.status !== "error") {
      throw new ConnectError('status must be "ok" or "error"', Code.InvalidArgument);
    }
    const payload: JsonObject = req.payload ?? {};
    await launcher.acknowledge(machineId, { commandId: req.commandId, status: req.status, payload }, signal);
  }

  async function report(machineId: string, req: ReportSessionStateRequest, signal: AbortSignal): Promise<void> {
    const state = reportedStates.get(req.state);
    if (!state) throw new ConnectError("state must be RUNNING, EXITED or FAILED", Code.InvalidArgument);
    const session = await store.getSessionById(req.sessionId, signal);
    if (!session || session.machineId !== machineId) throw new ConnectError(`session ${req.sessionId} not found`, Code.NotFound);
    await store.recordMachineSeen(machineId, { now: now() });
    await lifecycle.reported(session, {
      state,
      ...(req.exitCode !== undefined ? { exitCode: req.exitCode } : {}),
      message: req.message,
      pid: req.pid,
    });
  }

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
        req.endedSessions,
      );
      // Agents the daemon still runs for sessions that ended here (answered with an error, say) are stopped:
      // the stops are recorded now and delivered on this stream as soon as it opens.
      await launcher.reconciler.reconcileMachine(machineId, req.runningSessions);
      // Decisions its agents have not got yet go down this stream too.
      await launcher.approvals.redeliver(machineId);
      yield* stream;
      // Cut short by the server (a shutdown): the daemon learns it must reconnect, possibly elsewhere.
      if (ctx.signal.aborted) throw ctx.signal.reason;
    },

    async acknowledge(req, ctx) {
      await acknowledge(machineOf(ctx).machineId, req, ctx.signal);
      return {};
    },

    async reportSessionState(req, ctx) {
      await report(machineOf(ctx).machineId, req, ctx.signal);
      return {};
    },

    streamReports(requests, ctx) {
      const { machineId } = machineOf(ctx);
      return streamReports(
        requests,
        { ack: (req) => acknowledge(machineId, req, ctx.signal), report: (req) => report(machineId, req, ctx.signal) },
        ctx.signal,
      );
    },

    async appendTranscript(req, ctx) {
      const { machineId } = machineOf(ctx);
      if (req.entries.length > maxTranscriptBatch) {
        throw new ConnectError(`at most ${maxTranscriptBatch} entries per call`, Code.InvalidArgument);
      }
      let size = 0;
      for (const entry of req.entries) size += entry.text.length + entry.toolName.length;
      if (size > maxTranscriptBatchText) throw new ConnectError("at most 4 MiB of text per call", Code.InvalidArgument);
      const from = Number(req.fromOffset);
      const entries = req.entries.map((entry, index) => transcriptEntryRecord(entry, from + index));
      const appended = await events.appendTranscript({ sessionId: req.sessionId, machineId, fromOffset: from, entries, now: now() }, ctx.signal);
      if (!appended) throw new ConnectError(`session ${req.sessionId} not found`, Code.NotFound);
      // Every stored entry of the batch, resent ones too (recording a request is idempotent): a
      // server that stored the entries but died before recording the request records it on the resend.
      await launcher.approvals.entriesStored(req.sessionId, entries.filter((entry) => entry.offset < appended.nextOffset));
      return { nextOffset: BigInt(appended.nextOffset) };
    },
  };
}
