import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { Store } from "../store/store.js";
import { launchResult } from "./launch-result.js";

export interface AcknowledgeDeps {
  store: Store;
  hub: DaemonHub;
  lifecycle: SessionLifecycle;
  /** Clock, in Unix milliseconds. */
  now: () => number;
}

/**
 * Takes a daemon's acknowledgement of one of its machine's commands: records
 * it (the first one wins; a repeat is harmless and changes nothing), then
 * hands it to the launch or stop that waits for it. When nobody waits any more
 * (the launch deadline passed, or the server restarted), a launch's
 * acknowledgement is still applied to its session: a late acknowledgement is
 * never lost. Throws `not_found` for a command that is not this machine's.
 */
export async function acknowledgeCommand(
  deps: AcknowledgeDeps,
  machineId: string,
  ack: { commandId: string; status: string; payload: JsonObject },
  signal: AbortSignal,
): Promise<void> {
  const recorded = await deps.store.recordAck({ ...ack, machineId, now: deps.now() });
  if (!recorded) throw new ConnectError(`command ${ack.commandId} not found`, Code.NotFound);
  if (!recorded.first) return;
  const acknowledgement = { status: ack.status, payload: ack.payload };
  if (deps.hub.deliverAck(ack.commandId, acknowledgement)) return;
  if (recorded.command.kind !== "launch") return;
  const session = await deps.store.getSessionById(recorded.command.sessionId, signal);
  if (session) await deps.lifecycle.acknowledged(session, launchResult(session, acknowledgement));
}
