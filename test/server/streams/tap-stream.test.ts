import { describe, expect, it } from "vitest";
import { tapStream } from "../../../server/streams/tap-stream.js";

/** A source that yields `values`, then fails with `error` if given, and records whether it was returned. */
function source<T>(values: T[], error?: Error) {
  const seen = { returned: false, finished: false };
  async function* gen(): AsyncGenerator<T> {
    try {
      for (const v of values) yield v;
      if (error) throw error;
    } finally {
      seen.finished = true;
    }
  }
  const g = gen();
  const ret = g.return.bind(g);
  g.return = (value) => {
    seen.returned = true;
    return ret(value);
  };
  return { iterable: { [Symbol.asyncIterator]: () => g }, seen };
}

async function drain<T>(stream: AsyncIterable<T>): Promise<{ values: T[]; error?: unknown }> {
  const values: T[] = [];
  try {
    for await (const v of stream) values.push(v);
    return { values };
  } catch (error) {
    return { values, error };
  }
}

describe("tapStream", () => {
  it("passes every value through, each seen by the taps in the order they were added, and hears the end once", async () => {
    const log: string[] = [];
    const { iterable } = source([1, 2]);
    const inner = tapStream(iterable, { value: (v) => log.push(`inner ${v}`), end: (e) => log.push(`inner end ${e}`) });
    const outer = tapStream(inner, { value: (v) => log.push(`outer ${v}`), end: (e) => log.push(`outer end ${e}`) });
    expect(await drain(outer)).toEqual({ values: [1, 2] });
    expect(log).toEqual(["inner 1", "outer 1", "inner 2", "outer 2", "inner end undefined", "outer end undefined"]);
  });

  it("takes a second tap on the same iterator instead of wrapping an unread stream again", () => {
    const { iterable } = source([1]);
    const once = tapStream(iterable, {});
    expect(tapStream(once, {})).toBe(once);
  });

  it("wraps a stream already being read instead of changing its taps mid-way", async () => {
    const { iterable } = source([1, 2]);
    const read = tapStream(iterable, {});
    const it = read[Symbol.asyncIterator]();
    await it.next();
    expect(tapStream(read, {})).not.toBe(read);
  });

  it("maps an error through the taps inner first, and the end hears what the outer tap passed on", async () => {
    const ends: unknown[] = [];
    const { iterable } = source([1], new Error("raw"));
    const inner = tapStream(iterable, { error: (e) => new Error(`inner(${(e as Error).message})`), end: (e) => ends.push((e as Error).message) });
    const outer = tapStream(inner, { error: (e) => new Error(`outer(${(e as Error).message})`), end: (e) => ends.push((e as Error).message) });
    const { values, error } = await drain(outer);
    expect(values).toEqual([1]);
    expect((error as Error).message).toBe("outer(inner(raw))");
    expect(ends).toEqual(["outer(inner(raw))", "outer(inner(raw))"]);
  });

  it("ends an idle stream with the cut signal's reason at once, and tells the source to return", async () => {
    const cut = new AbortController();
    let wake!: () => void;
    let returned = false;
    const idle: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<number>>((resolve) => {
            wake = () => resolve({ done: true, value: undefined });
          }),
        return: async () => {
          returned = true;
          wake();
          return { done: true, value: undefined };
        },
      }),
    };
    const ends: unknown[] = [];
    const stream = tapStream(idle, { cut: cut.signal, end: (e) => ends.push(e) });
    const reading = drain(stream);
    await new Promise((resolve) => setImmediate(resolve));
    cut.abort(new Error("revoked"));
    const { error } = await reading;
    expect((error as Error).message).toBe("revoked");
    expect(ends).toEqual([error]);
    expect(returned).toBe(true);
  });

  it("refuses to start a stream whose cut signal already aborted", async () => {
    const cut = new AbortController();
    cut.abort(new Error("revoked before"));
    const { iterable } = source([1]);
    const { values, error } = await drain(tapStream(iterable, { cut: cut.signal }));
    expect(values).toEqual([]);
    expect((error as Error).message).toBe("revoked before");
  });

  it("returns the source when the consumer leaves early, and hears an end without error", async () => {
    const ends: unknown[] = [];
    const { iterable, seen } = source([1, 2, 3]);
    const stream = tapStream(iterable, { end: (e) => ends.push(e) });
    for await (const v of stream) if (v === 1) break;
    expect(seen).toEqual({ returned: true, finished: true });
    expect(ends).toEqual([undefined]);
    // Read again after the end: nothing more.
    expect(await stream[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });

  it("runs every read and the return inside the taps' scopes", async () => {
    const scopes: string[] = [];
    const { iterable } = source([1, 2]);
    const within = <R>(fn: () => R): R => {
      scopes.push("in");
      return fn();
    };
    const stream = tapStream(iterable, { within });
    for await (const v of stream) if (v === 2) break;
    // Two reads and the return.
    expect(scopes).toEqual(["in", "in", "in"]);
  });

  it("removes its listener from the cut signal after each read", async () => {
    const cut = new AbortController();
    const listeners = { added: 0, removed: 0 };
    const add = cut.signal.addEventListener.bind(cut.signal);
    const remove = cut.signal.removeEventListener.bind(cut.signal);
    cut.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners.added++;
      add(...args);
    }) as typeof add;
    cut.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners.removed++;
      remove(...args);
    }) as typeof remove;
    const { iterable } = source([1, 2, 3, 4, 5]);
    expect((await drain(tapStream(iterable, { cut: cut.signal }))).values).toEqual([1, 2, 3, 4, 5]);
    expect(listeners.added).toBe(6);
    expect(listeners.removed).toBe(6);
  });
});
