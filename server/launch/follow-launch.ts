import { ConnectError } from "@connectrpc/connect";
import type { SessionEventBus } from "../sessions/create-session-event-bus.js";
import { isTerminalEvent } from "../sessions/session-transitions.js";
import type { SessionEventRecord, Store } from "../store/store.js";
import type { AcceptedLaunch } from "./accept-launch.js";
import type { LaunchResult } from "./launch-result.js";

const never = new Promise<never>(() => {});

/**
 * The events of an accepted launch, from its `accepted` event to its terminal
 * one, while `dispatched` (the launch's dispatch, running beside) settles.
 * When the dispatch fails, the stream still ends with a `failed` event — the
 * stored one, or, when the store could not record it, one made from the
 * error (sequence 0: not part of the history) — and then throws the
 * dispatch's error, so the caller learns its code. Ends quietly when `signal`
 * aborts.
 */
export async function* followLaunch(
  deps: { store: Store; events: SessionEventBus },
  launch: AcceptedLaunch,
  dispatched: Promise<LaunchResult>,
  signal: AbortSignal,
): AsyncGenerator<SessionEventRecord> {
  const { session } = launch;
  const failure = dispatched.then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );
  // A failure whose `failed` event never reached the history: nothing else would end the stream.
  const unrecorded = failure.then(async (error) => {
    // The caller leaving is not a failure to report: the stream just ends.
    if (error === undefined || signal.aborted) return never;
    const history = await deps.store.listSessionEvents(session.sessionId, launch.acceptedSequence, signal).catch(() => []);
    return history.some(isTerminalEvent) ? never : error;
  });
  const stop = new AbortController();
  const it = deps.events.follow(session.sessionId, launch.acceptedSequence - 1, AbortSignal.any([signal, stop.signal]))[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await Promise.race([it.next(), unrecorded.then((error) => ({ error }))]);
      if ("error" in next) {
        yield {
          sessionId: session.sessionId,
          sequence: 0,
          type: "failed",
          state: "failed",
          machineId: session.machineId,
          acknowledgement: undefined,
          exitCode: undefined,
          message: next.error.rawMessage,
          time: Date.now(),
        };
        throw next.error;
      }
      if (next.done) return;
      yield next.value;
      if (isTerminalEvent(next.value)) {
        ended = true;
        break;
      }
    }
  } finally {
    stop.abort();
    await it.return?.(undefined);
  }
  if (ended) {
    const error = await failure;
    if (error && !signal.aborted) throw error;
  }
}
