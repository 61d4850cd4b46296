import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { SessionMoveWrite, SessionRecord, Store } from "../store/store.js";
import type { AbandonedCommands } from "./create-abandoned-commands.js";
import type { CommandSender } from "./create-command-sender.js";
import { launchResult } from "./launch-result.js";
import { stopOrphan } from "./stop-orphan.js";

export interface AcknowledgeDeps {
  store: Store;
  hub: DaemonHub;
  lifecycle: SessionLifecycle;
  sender: CommandSender;
  /** Launches answered with an error the store could not record: expired before their acknowledgement is taken. */
  abandoned: AbandonedCommands;
  log: (message: string, error?: unknown) => void;
  /** Clock, in Unix milliseconds. */
  now: () => number;
  /** The sessions of the launches waiting on this replica, by command id, as their dispatch last wrote them. */
  launching?: ReadonlyMap<string, SessionRecord>;
}

/**
 * Takes a daemon's acknowledgement of one of its machine's commands. An `ok`
 * to a permission answer marks its request delivered. The
 * command's row decides: the first acknowledgement wins (a repeat is harmless
 * and changes nothing), unless the server gave up on the command first
 * (`expireCommand`, at the launch deadline). A winning launch acknowledgement
 * is applied to its session here — on whichever replica the daemon called —
 * and then handed to the launch that waits for it. An `ok` that comes after
 * the caller was told `deadline_exceeded` is recorded on the (failed)
 * session and its agent is stopped at once: no agent runs behind an error
 * answer. Throws `not_found` for a command that is not this machine's.
 *
 * When the store cannot record the acknowledgement (`unavailable`: a full
 * disk, a database gone), the daemon is told so and retries; the launch
 * waiting for it on this replica is told at once and answers `unavailable`
 * rather than a 504 at its deadline, and its command is expired before a
 * retried acknowledgement is taken (so that one counts as late: its agent is
 * stopped). What the caller was told is what happened.
 */
export async function acknowledgeCommand(
  deps: AcknowledgeDeps,
  machineId: string,
  ack: { commandId: string; status: string; payload: JsonObject },
  signal: AbortSignal,
): Promise<void> {
  // A call already gone records nothing (its daemon sends the ack again); once recorded, the ack is
  // applied whatever becomes of the call: a session left unmoved behind a recorded ack would never move.
  if (signal.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
  await deps.abandoned.settleFirst(ack.commandId);
  // A launch's acknowledgement and its state change go in one transaction, planned on the copy
  // of the session its dispatch holds when it waits here, else on the stored one.
  const known = deps.launching?.get(ack.commandId) ?? (await launchSessionOf(deps.store, machineId, ack.commandId));
  const result = known && launchResult(known, { status: ack.status, payload: ack.payload });
  const record = async (move?: SessionMoveWrite) => {
    try {
      return await deps.store.recordAck({ ...ack, machineId, now: deps.now(), ...(move ? { move } : {}) });
    } catch (error) {
      const e = ConnectError.from(error);
      if (e.code === Code.Unavailable) {
        deps.hub.failAck(ack.commandId, new ConnectError(`the acknowledgement could not be recorded: ${e.rawMessage}`, Code.Unavailable, undefined, undefined, e));
      }
      throw e;
    }
  };
  const recorded = known && result ? await deps.lifecycle.acknowledgedWith(known, result, record) : await record();
  if (!recorded) throw new ConnectError(`command ${ack.commandId} not found`, Code.NotFound);
  const { command } = recorded;
  if (command.kind === "permission_answer" && ack.status === "ok") {
    // Marked whichever ack it is (a repeat, or one after the wait gave up): the daemon has the decision.
    const answer = command.command.kind.case === "permissionAnswer" ? command.command.kind.value : undefined;
    if (answer?.request) await deps.store.markPermissionDelivered(answer.sessionId, answer.request.requestId);
  }
  if (command.kind !== "launch") {
    if (recorded.first) await deps.hub.deliverAck(ack.commandId, { status: ack.status, payload: ack.payload });
    return;
  }
  // No session (gone): nothing to move. Else the move was written with the record, or just after it.
  if (!known || !result) return;
  if (recorded.first) {
    await deps.hub.deliverAck(ack.commandId, result);
    return;
  }
  if (command.ackStatus === "expired" && ack.status === "ok") {
    await deps.lifecycle.acknowledgedLate(known, result);
    await stopOrphan(deps, known, "acknowledged after its launch deadline");
  }
}

/** The session of a launch command of `machineId`, as stored; undefined for other commands. */
async function launchSessionOf(store: Store, machineId: string, commandId: string): Promise<SessionRecord | undefined> {
  const command = await store.getCommand(commandId);
  if (command?.kind !== "launch" || command.machineId !== machineId) return undefined;
  return store.getSessionById(command.sessionId);
}
