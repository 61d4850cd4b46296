/** Options of `pollUntil`. */
export interface PollOptions {
  /** Give up after this long. Default 5 000 ms. */
  timeoutMs?: number;
  /** Pause between probes. Default 10 ms. */
  intervalMs?: number;
  /** What is waited for, for the error message. Default "the condition". */
  what?: string;
}

/**
 * The one poll helper of the test suites: calls `probe` until it returns a
 * truthy value (which it resolves with), pausing `intervalMs` between calls,
 * and rejects naming `what` (and the last probe's value) after `timeoutMs`.
 * For state that has no event to wait on; prefer waiting on a signal.
 */
export async function pollUntil<T>(probe: () => T | Promise<T>, options: PollOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? "the condition"} (last: ${String(value)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
