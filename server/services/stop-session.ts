import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { StopResult } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { DaemonHub } from "../hub/daemon-hub.js";
import type { SessionEventBus } from "../sessions/session-event-bus.js";
import { isTerminalEvent } from "../sessions/session-messages.js";
import { isTerminalState } from "../sessions/session-state-names.js";
import type { SessionRecord, Store } from "../store/store.js";

/** How long a stop waits, past the grace, for the daemon's answer and the final state. */
const settleMs = 10_000;

/**
 * Stops a session's agent through its machine's daemon (SIGTERM, then SIGKILL
 * after the grace) and waits until the session has reached its final state, so
 * the answer, the session's stream and GetWorkspaceSession agree.
 */
export async function stopSession(input: {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  session: SessionRecord;
  graceMs: number;
  signal: AbortSignal;
}): Promise<{ result: StopResult; session: SessionRecord }> {
  const { store, hub, events, session, graceMs, signal } = input;
  if (isTerminalState(session.state)) return { result: StopResult.ALREADY_EXITED, session };
  if (!hub.isOnline(session.machineId)) return { result: StopResult.MACHINE_OFFLINE, session };

  const commandId = randomUUID();
  await store.createCommand({ commandId, machineId: session.machineId, sessionId: session.sessionId, kind: "stop", now: Date.now() }, signal);
  const wait = AbortSignal.any([signal, AbortSignal.timeout(graceMs + settleMs)]);
  const acked = hub.waitForAck(commandId, wait);
  acked.catch(() => {});
  const seconds = BigInt(Math.floor(graceMs / 1000));
  const command = create(DaemonCommandSchema, {
    commandId,
    kind: { case: "stop", value: { sessionId: session.sessionId, grace: { seconds, nanos: (graceMs % 1000) * 1_000_000 } } },
  });
  if (!hub.send(session.machineId, command)) return { result: StopResult.MACHINE_OFFLINE, session };
  let ack: Awaited<typeof acked>;
  try {
    ack = await acked;
  } catch {
    signal.throwIfAborted();
    throw new ConnectError(`machine ${session.machineId} did not confirm the stop in time`, Code.DeadlineExceeded);
  }
  if (ack.status !== "ok") {
    throw new ConnectError(`machine ${session.machineId} could not stop the session`, Code.Internal);
  }
  const result = ack.payload.result === "already_exited" ? StopResult.ALREADY_EXITED : StopResult.STOPPED;
  // The daemon reports the agent's exit on its own call; wait for it to land.
  const settled = AbortSignal.any([signal, AbortSignal.timeout(settleMs)]);
  const current = await store.getSessionById(session.sessionId, signal);
  if (current && !isTerminalState(current.state)) {
    try {
      for await (const event of events.follow(session.sessionId, 0, settled)) if (isTerminalEvent(event)) break;
    } catch {
      // Timed out waiting: answer with what is stored.
    }
  }
  return { result, session: (await store.getSessionById(session.sessionId, signal)) ?? session };
}
