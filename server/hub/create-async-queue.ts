/**
 * A single-consumer queue that is also an async iterable: producers `push`,
 * the consumer iterates. Iteration ends after `close()` once the buffer is
 * drained, or at once when `signal` aborts.
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  close(): void;
  readonly closed: boolean;
}

export function createAsyncQueue<T>(signal?: AbortSignal): AsyncQueue<T> {
  const buffer: T[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const onAbort = () => close();
  function close() {
    closed = true;
    signal?.removeEventListener("abort", onAbort);
    wake?.();
  }
  if (signal?.aborted) closed = true;
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    get closed() {
      return closed;
    },
    push(value) {
      if (closed) return;
      buffer.push(value);
      wake?.();
    },
    close,
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (signal?.aborted) return;
          const next = buffer.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (closed) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        close();
      }
    },
  };
}
