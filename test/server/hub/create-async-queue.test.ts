import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createAsyncQueue } from "../../../server/hub/create-async-queue.js";

describe("createAsyncQueue", () => {
  it("yields what was pushed, in order", async () => {
    const queue = createAsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    const it = queue[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 1 });
    expect(await it.next()).toEqual({ done: false, value: 2 });
  });

  it("wakes a consumer that waits when a value is pushed", async () => {
    const queue = createAsyncQueue<string>();
    const it = queue[Symbol.asyncIterator]();
    const next = it.next();
    queue.push("late");
    expect(await next).toEqual({ done: false, value: "late" });
  });

  it("drains the buffer after close, then ends", async () => {
    const queue = createAsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    queue.close();
    expect(queue.closed).toBe(true);
    const values: number[] = [];
    for await (const value of queue) values.push(value);
    expect(values).toEqual([1, 2]);
  });

  it("ends a consumer that waits when it is closed", async () => {
    const queue = createAsyncQueue<number>();
    const next = queue[Symbol.asyncIterator]().next();
    queue.close();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it("ignores a push after close", async () => {
    const queue = createAsyncQueue<number>();
    queue.push(1);
    queue.close();
    queue.push(2);
    const values: number[] = [];
    for await (const value of queue) values.push(value);
    expect(values).toEqual([1]);
  });

  it("ends at once when the signal aborts, dropping what is buffered", async () => {
    const controller = new AbortController();
    const queue = createAsyncQueue<number>(controller.signal);
    queue.push(1);
    queue.push(2);
    const it = queue[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 1 });
    controller.abort();
    expect(queue.closed).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("ends a consumer that waits when the signal aborts", async () => {
    const controller = new AbortController();
    const queue = createAsyncQueue<number>(controller.signal);
    const next = queue[Symbol.asyncIterator]().next();
    controller.abort();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it("starts closed on an aborted signal and takes nothing", async () => {
    const queue = createAsyncQueue<number>(AbortSignal.abort());
    expect(queue.closed).toBe(true);
    queue.push(1);
    expect(await queue[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });

  it("closes when the consumer stops, and lets go of the signal", async () => {
    const controller = new AbortController();
    const queue = createAsyncQueue<number>(controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    queue.push(1);
    for await (const value of queue) {
      expect(value).toBe(1);
      break;
    }
    expect(queue.closed).toBe(true);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    queue.push(2);
    expect(await queue[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });

  it("keeps falsy values", async () => {
    const queue = createAsyncQueue<number | string | boolean | null>();
    for (const value of [0, "", false, null]) queue.push(value);
    queue.close();
    const values: unknown[] = [];
    for await (const value of queue) values.push(value);
    expect(values).toEqual([0, "", false, null]);
  });
});
