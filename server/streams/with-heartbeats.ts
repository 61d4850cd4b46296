/**
 * Passes `source` through and, whenever it has been quiet for `intervalMs`,
 * yields `heartbeat()` instead, so idle proxies do not cut a long stream.
 * Returning from the consumer side closes the source.
 */
export async function* withHeartbeats<T>(source: AsyncIterable<T>, intervalMs: number, heartbeat: () => T): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending ??= it.next();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<"tick">((resolve) => {
        timer = setTimeout(() => resolve("tick"), intervalMs);
      });
      const winner = await Promise.race([pending, tick]);
      clearTimeout(timer);
      if (winner === "tick") {
        yield heartbeat();
        continue;
      }
      pending = undefined;
      if (winner.done) return;
      yield winner.value;
    }
  } finally {
    await it.return?.();
  }
}
