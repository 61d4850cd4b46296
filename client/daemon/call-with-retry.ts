import { Code, ConnectError } from "@connectrpc/connect";
import { createBackoff, sleep } from "./create-backoff.js";

/** Options of callWithRetry. */
export interface CallWithRetryOptions {
  /** Attempts in all; default 5. */
  attempts?: number;
  /** First delay between attempts; default 250 ms (doubling, jittered, capped at 5 s). */
  initialMs?: number;
  /** Stops retrying (the running attempt is not cut short). */
  signal?: AbortSignal;
}

// Codes that say the server is unreachable or busy, not that the call is wrong.
const transient = new Set<Code>([
  Code.Unavailable,
  Code.Unknown,
  Code.Internal,
  Code.DeadlineExceeded,
  Code.Aborted,
  Code.ResourceExhausted,
  Code.Canceled,
]);

/** Whether a call failing with `code` may succeed when tried again: the server was unreachable, restarting or overloaded. */
export function isTransient(code: Code): boolean {
  return transient.has(code);
}

/**
 * Runs a unary call, retrying while it fails with a transient code (the server
 * is unreachable, restarting or overloaded). Other failures and the last
 * transient one are thrown as ConnectError.
 */
export async function callWithRetry<T>(call: () => Promise<T>, options: CallWithRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const backoff = createBackoff({ initialMs: options.initialMs ?? 250, maxMs: 5000 });
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = ConnectError.from(error);
      if (attempt >= attempts || !transient.has(failure.code) || options.signal?.aborted) throw failure;
      await sleep(backoff.next(), options.signal);
    }
  }
}
