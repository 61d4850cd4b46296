/** A token bucket's shape: it refills at `ratePerSecond` up to `burst` tokens. */
export interface RateLimit {
  /** Tokens added per second, steadily. Must be positive. */
  ratePerSecond: number;
  /** Most tokens a bucket holds, so the most requests in one go. Must be at least 1. */
  burst: number;
}

export interface RateLimiterOptions extends RateLimit {
  /**
   * Most keys tracked at once. Past it, buckets that have refilled completely
   * (they limit nothing) are dropped; if none has, the oldest key is. Default 10 000.
   */
  maxKeys?: number;
  /** Clock, in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/** Token buckets keyed by caller (an address, a token id). */
export interface RateLimiter {
  /**
   * Takes one token from `key`'s bucket (a new key starts full). Returns 0
   * when it had one, else how many milliseconds until it will (nothing is taken).
   */
  take(key: string): number;
  /** Like `take` without taking: 0 when `key` has a token now, else the milliseconds until it will. */
  wait(key: string): number;
  /** Keys currently tracked. */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token-bucket rate limiter: each key may make `burst` requests at once and
 * `ratePerSecond` on average after that. One Map entry per key, no timers;
 * memory is bounded by `maxKeys`.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { ratePerSecond, burst } = options;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError("ratePerSecond must be a positive number");
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError("burst must be at least 1");
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const perMs = ratePerSecond / 1000;
  const buckets = new Map<string, Bucket>();

  function refilled(bucket: Bucket, t: number): number {
    return Math.min(burst, bucket.tokens + (t - bucket.at) * perMs);
  }

  function evict(t: number): void {
    for (const [key, bucket] of buckets) {
      if (refilled(bucket, t) >= burst) buckets.delete(key);
    }
    // Still full of busy keys: drop the oldest (Maps keep insertion order).
    if (buckets.size >= maxKeys) {
      const oldest = buckets.keys().next();
      if (!oldest.done) buckets.delete(oldest.value);
    }
  }

  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) evict(t);
        bucket = { tokens: burst, at: t };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = refilled(bucket, t);
        bucket.at = t;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs));
    },
    wait(key) {
      const bucket = buckets.get(key);
      if (bucket === undefined) return 0;
      const tokens = refilled(bucket, now());
      return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs));
    },
    get size() {
      return buckets.size;
    },
  };
}
