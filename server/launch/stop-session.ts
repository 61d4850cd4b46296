import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { StopResult } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { SessionEventBus } from "../sessions/create-session-event-bus.js";
import { isTerminalEvent, isTerminalState } from "../sessions/session-transitions.js";
import type { SessionRecord, Store } from "../store/store.js";
import type { CommandSender } from "./create-command-sender.js";

export interface StopDeps {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  sender: CommandSender;
  /** How long a stop waits, past the grace, for the daemon's answer and then for the final state. */
  settleMs: number;
}

/**
 * Stops a session's agent through its machine's daemon (SIGTERM, then SIGKILL
 * after the grace) and waits until the session has reached its final state, so
 * the answer, the session's stream and GetWorkspaceSession agree. A finished
 * session answers `ALREADY_EXITED` and an offline machine `MACHINE_OFFLINE`,
 * with nothing sent; no answer within grace + settle is `deadline_exceeded`.
 */
export async function stopSession(
  deps: StopDeps,
  session: SessionRecord,
  options: { graceMs: number; signal: AbortSignal },
): Promise<{ result: StopResult; session: SessionRecord }> {
  const { store, events } = deps;
  const { graceMs, signal } = options;
  if (isTerminalState(session.state)) return { result: StopResult.ALREADY_EXITED, session };
  if (!(await deps.hub.isOnline(session.machineId))) return { result: StopResult.MACHINE_OFFLINE, session };

  const seconds = BigInt(Math.floor(graceMs / 1000));
  const command = create(DaemonCommandSchema, {
    commandId: randomUUID(),
    kind: { case: "stop", value: { sessionId: session.sessionId, grace: { seconds, nanos: (graceMs % 1000) * 1_000_000 } } },
  });
  const sent = await deps.sender.send(session.machineId, command, {
    sessionId: session.sessionId,
    kind: "stop",
    timeoutMs: graceMs + deps.settleMs,
    timeoutMessage: `machine ${session.machineId} did not confirm the stop in time`,
    signal,
  });
  if (!sent) return { result: StopResult.MACHINE_OFFLINE, session };
  const ack = await sent.ack;
  if (ack.status !== "ok") {
    throw new ConnectError(`machine ${session.machineId} could not stop the session`, Code.Internal);
  }
  const result = ack.payload.result === "already_exited" ? StopResult.ALREADY_EXITED : StopResult.STOPPED;
  // The daemon reports the agent's exit on its own call; wait for it to land.
  // Only an event after the history as it stands counts: a reused session's
  // history holds the end of its earlier run too. Read before the state, so an
  // exit that lands in between is in the state (the row is written first).
  const settled = AbortSignal.any([signal, AbortSignal.timeout(deps.settleMs)]);
  const last = (await store.listSessionEvents(session.sessionId, 0, signal)).at(-1)?.sequence ?? 0;
  const current = await store.getSessionById(session.sessionId, signal);
  if (current && !isTerminalState(current.state)) {
    try {
      for await (const event of events.follow(session.sessionId, last, settled)) if (isTerminalEvent(event)) break;
    } catch {
      // Timed out waiting: answer with what is stored.
    }
  }
  return { result, session: (await store.getSessionById(session.sessionId, signal)) ?? session };
}
