/** Mutual exclusion per key, inside one process. */
export interface KeyLock {
  /** Waits until no earlier holder of `key` is left, then holds it; call the returned function to let the next one in. */
  acquire(key: string): Promise<() => void>;
}

/** A lock per key, granted in the order asked; keys nobody holds take no memory. */
export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<void>>();
  return {
    async acquire(key) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
        if (tails.get(key) === tail) tails.delete(key);
      };
    },
  };
}
