/** Options of createBackoff. */
export interface BackoffOptions {
  /** First delay before jitter; default 500 ms. */
  initialMs?: number;
  /** Cap of any delay; default 30 000 ms. */
  maxMs?: number;
  /** Source of jitter in [0, 1); default Math.random. */
  random?: () => number;
}

/** Jittered exponential backoff. */
export interface Backoff {
  /** The next delay: `min(maxMs, initialMs * 2^n)` scaled by a random factor in [0.5, 1). */
  next(): number;
  /** Starts over at `initialMs`. */
  reset(): void;
  readonly maxMs: number;
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initialMs = Math.max(1, options.initialMs ?? 500);
  const maxMs = Math.max(initialMs, options.maxMs ?? 30_000);
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    maxMs,
    next() {
      const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
      attempt += 1;
      return Math.max(1, Math.round(base * (0.5 + random() / 2)));
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
