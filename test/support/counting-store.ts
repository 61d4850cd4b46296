import type { Store } from "../../server/store/store.js";

/** A real store whose method calls are counted by name (see `countStoreCalls`). */
export interface CountingStore {
  /** The store to hand to the code under test: every method of the real one, counted. */
  store: Store;
  /** Calls of the named methods since the last `reset` (all methods without names). */
  count(...methods: (keyof Store)[]): number;
  reset(): void;
  /**
   * Runs `hook` after each call of `method` resolves, before its caller sees
   * the result: what happens between a read and the code that acts on it.
   */
  after(method: keyof Store, hook: (() => Promise<void>) | undefined): void;
}

/**
 * Wraps a real store (no stand-in: every call reaches it) and counts the
 * calls of each method; properties that are not methods (the token feed)
 * pass through untouched.
 */
export function countStoreCalls(real: Store): CountingStore {
  const calls = new Map<string, number>();
  const hooks = new Map<string, () => Promise<void>>();
  const store = new Proxy(real, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== "function" || typeof name !== "string") return value;
      return async (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        await hooks.get(name)?.();
        return result;
      };
    },
  });
  return {
    store,
    count(...methods) {
      let total = 0;
      for (const [name, n] of calls) if (methods.length === 0 || methods.includes(name as keyof Store)) total += n;
      return total;
    },
    reset() {
      calls.clear();
    },
    after(method, hook) {
      if (hook) hooks.set(method, hook);
      else hooks.delete(method);
    },
  };
}
