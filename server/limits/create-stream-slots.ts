import { Code, ConnectError } from "@connectrpc/connect";

/** Counted slots per key (a token id): how many long-lived streams a caller holds. */
export interface StreamSlots {
  /**
   * Takes a slot of `key` and returns the function that gives it back (calling
   * it again does nothing); throws `resource_exhausted` when `key` holds
   * `max` slots already.
   */
  acquire(key: string): () => void;
  /** Slots `key` holds now. */
  held(key: string): number;
}

/** Slots capped at `max` per key, for `what` (named in the error, e.g. "Watch streams"). */
export function createStreamSlots(options: { max: number; what: string }): StreamSlots {
  const { max, what } = options;
  if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
  const counts = new Map<string, number>();
  return {
    acquire(key) {
      const now = counts.get(key) ?? 0;
      if (now >= max) {
        throw new ConnectError(`too many concurrent ${what} for this token (at most ${max}); close one first`, Code.ResourceExhausted);
      }
      counts.set(key, now + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left <= 0) counts.delete(key);
        else counts.set(key, left);
      };
    },
    held(key) {
      return counts.get(key) ?? 0;
    },
  };
}
