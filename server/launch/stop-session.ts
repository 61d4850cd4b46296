import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { StopResult } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { SessionEventBus } from "../sessions/create-session-event-bus.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import { isTerminalEvent, isTerminalState } from "../sessions/session-transitions.js";
import type { SessionRecord, Store } from "../store/store.js";
import type { CommandSender } from "./create-command-sender.js";

export interface StopDeps {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  sender: CommandSender;
  /** Records the stop on the session before it is sent, and withdraws it when nothing was stopped. */
  lifecycle: Pick<SessionLifecycle, "stopRequested" | "stopWithdrawn">;
  /** How long a stop waits, past the grace, for the daemon's answer and then for the final state. */
  settleMs: number;
}

/**
 * Stops a session's agent through its machine's daemon (SIGTERM, then SIGKILL
 * after the grace) and waits until the session has reached its final state, so
 * the answer, the session's stream and GetWorkspaceSession agree. The stop is
 * recorded on the session first (`stoppedBy`, `stopTime`), so the agent's end
 * reported from then on makes it `stopped` (see `report_stopped` in the
 * transition table); when nothing was stopped (the machine went offline before
 * the push, the daemon had no agent or could not stop it) the record is
 * withdrawn. A finished session answers `ALREADY_EXITED` and an offline machine
 * `MACHINE_OFFLINE`, with nothing sent; no answer within grace + settle is
 * `deadline_exceeded`, the stop staying recorded (the daemon may still do it).
 */
export async function stopSession(
  deps: StopDeps,
  session: SessionRecord,
  options: { graceMs: number; signal: AbortSignal; stoppedBy: string; requestId?: string | undefined },
): Promise<{ result: StopResult; session: SessionRecord }> {
  const { store, events, lifecycle } = deps;
  const { graceMs, signal } = options;
  if (isTerminalState(session.state)) return { result: StopResult.ALREADY_EXITED, session };
  if (!(await deps.hub.isOnline(session.machineId))) return { result: StopResult.MACHINE_OFFLINE, session };
  // The newest sequence alone (a long transcript is not read for it), before
  // the stop is recorded: only an end after the history as it stands counts (a
  // reused session's history holds the end of its earlier run too).
  const query = { sessionId: session.sessionId, afterSequence: 0, beforeSequence: 0, limit: 0, backward: false };
  const last = (await store.listTranscript(query, signal)).lastSequence;
  const recorded = await lifecycle.stopRequested(session, options.stoppedBy);
  if (recorded === undefined) {
    // It ended (or went) since it was read: nothing to stop.
    return { result: StopResult.ALREADY_EXITED, session: (await store.getSessionById(session.sessionId, signal)) ?? session };
  }
  const withdraw = () => lifecycle.stopWithdrawn(recorded, recorded.stopTime ?? 0);

  const seconds = BigInt(Math.floor(graceMs / 1000));
  const command = create(DaemonCommandSchema, {
    commandId: randomUUID(),
    requestId: options.requestId ?? "",
    kind: { case: "stop", value: { sessionId: session.sessionId, grace: { seconds, nanos: (graceMs % 1000) * 1_000_000 } } },
  });
  const sent = await deps.sender.send(session.machineId, command, {
    sessionId: session.sessionId,
    kind: "stop",
    timeoutMs: graceMs + deps.settleMs,
    timeoutMessage: `machine ${session.machineId} did not confirm the stop in time`,
    signal,
  });
  if (!sent) {
    const withdrawn = (await withdraw()) ?? (await store.getSessionById(session.sessionId, signal));
    return { result: StopResult.MACHINE_OFFLINE, session: withdrawn ?? session };
  }
  const ack = await sent.ack;
  if (ack.status !== "ok") {
    await withdraw();
    throw new ConnectError(`machine ${session.machineId} could not stop the session`, Code.Internal);
  }
  // The daemon had no agent for the session: it ended on its own (its report is
  // on the way or in), or never started; its end is what it was.
  const alreadyExited = ack.payload.result === "already_exited";
  if (alreadyExited) await withdraw();
  // The daemon reports the agent's end on its own call; wait for it to land.
  // Read the state after `last`, so an end that lands in between is in the
  // state (the row is written first).
  const settled = AbortSignal.any([signal, AbortSignal.timeout(deps.settleMs)]);
  const current = await store.getSessionById(session.sessionId, signal);
  if (current && !isTerminalState(current.state)) {
    try {
      for await (const event of events.follow(session.sessionId, last, settled)) if (isTerminalEvent(event)) break;
    } catch {
      // Timed out waiting: answer with what is stored.
    }
  }
  const final = (await store.getSessionById(session.sessionId, signal)) ?? session;
  // An end that landed while the stop was recorded made it stopped, whatever the daemon found.
  const result = alreadyExited && final.state !== "stopped" ? StopResult.ALREADY_EXITED : StopResult.STOPPED;
  return { result, session: final };
}
