import { Code, ConnectError } from "@connectrpc/connect";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { Acknowledgement, CommandKind, Store } from "../store/store.js";
import { createDeadlineWheel, type DeadlineWheel } from "./create-deadline-wheel.js";

/** A command on a daemon's stream, and its acknowledgement to come. */
export interface SentCommand {
  /**
   * The daemon's acknowledgement. Rejects with `deadline_exceeded` (carrying
   * `timeoutMessage`) when none came within `timeoutMs`, or with the signal's
   * reason when the caller's signal aborted first. A timeout only means the
   * wait ended: call `store.expireCommand` to learn whether an acknowledgement
   * was recorded after all.
   */
  readonly ack: Promise<Acknowledgement>;
}

export interface SendOptions {
  /** The session the command is about. */
  sessionId: string;
  kind: CommandKind;
  /** How long to wait for the acknowledgement; the command's deadline is now + this. */
  timeoutMs: number;
  /** The message of the `deadline_exceeded` error when no acknowledgement came in time. */
  timeoutMessage: string;
  /** Stops the wait early (the command stays sent). Default: only the timeout ends it. */
  signal?: AbortSignal;
  /** Clock, in Unix milliseconds. Default `Date.now`. */
  now?: number;
  /** The command is stored already (a launch's, with its session): only push and wait. Default false. */
  stored?: boolean;
}

/**
 * The one way a command reaches a daemon, shared by launch and stop: the
 * command is recorded, the wait for its acknowledgement registered, and the
 * command pushed down the machine's stream. Answers undefined when the machine
 * has no daemon connected (nothing is waited for). Acknowledgements arrive
 * through `acknowledgeCommand`.
 */
export interface CommandSender {
  send(machineId: string, command: DaemonCommand, options: SendOptions): Promise<SentCommand | undefined>;
}

export interface CommandSenderOptions {
  store: Store;
  hub: DaemonHub;
  /** Where the waits' deadlines are kept. Default: a wheel of the sender's own (10 ms ticks). */
  deadlines?: DeadlineWheel;
}

export function createCommandSender(options: CommandSenderOptions): CommandSender {
  const { store, hub } = options;
  const deadlines = options.deadlines ?? createDeadlineWheel();
  return {
    async send(machineId, command, send) {
      const { commandId } = command;
      const time = send.now ?? Date.now();
      if (!send.stored) {
        await store.createCommand(
          { commandId, machineId, sessionId: send.sessionId, kind: send.kind, command, deadlineAt: time + send.timeoutMs, now: time },
          send.signal,
        );
      }
      // One controller ends the wait: the deadline (on the shared wheel, no timer of its own),
      // the caller's signal, or the machine found offline at the push.
      const wait = new AbortController();
      let timedOut = false;
      const cancelDeadline = deadlines.add(send.timeoutMs, () => {
        timedOut = true;
        wait.abort(new ConnectError(send.timeoutMessage, Code.DeadlineExceeded));
      });
      const caller = send.signal;
      const onCallerAbort = () => wait.abort(caller?.reason);
      if (caller?.aborted) onCallerAbort();
      else caller?.addEventListener("abort", onCallerAbort, { once: true });
      const done = () => {
        cancelDeadline();
        caller?.removeEventListener("abort", onCallerAbort);
      };
      // Registered before the push, so an acknowledgement that comes at once is not missed.
      const waiting = hub.waitForAck(commandId, wait.signal);
      void waiting.then(done, done);
      if (!(await hub.send(machineId, command))) {
        waiting.catch(() => {});
        wait.abort(new ConnectError(`machine ${machineId} is offline`, Code.Unavailable));
        return undefined;
      }
      const ack = waiting.catch((error: unknown) => {
        if (timedOut && !caller?.aborted) throw new ConnectError(send.timeoutMessage, Code.DeadlineExceeded);
        throw error;
      });
      ack.catch(() => {});
      return { ack };
    },
  };
}
