import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDeadlineWheel } from "../../../server/launch/create-deadline-wheel.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createDeadlineWheel", () => {
  it("fires each wait once its delay has passed, within one tick, in the order added", () => {
    const wheel = createDeadlineWheel({ tickMs: 10 });
    const fired: string[] = [];
    wheel.add(25, () => fired.push("a"));
    wheel.add(5, () => fired.push("b"));
    wheel.add(25, () => fired.push("c"));
    vi.advanceTimersByTime(4);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(6);
    expect(fired).toEqual(["b"]);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual(["b", "a", "c"]);
    expect(wheel.size).toBe(0);
  });

  it("never fires a cancelled wait, and re-arms for the next one when the earliest is cancelled", () => {
    const wheel = createDeadlineWheel({ tickMs: 10 });
    const fired: string[] = [];
    const cancelEarly = wheel.add(10, () => fired.push("early"));
    wheel.add(50, () => fired.push("late"));
    cancelEarly();
    cancelEarly();
    expect(wheel.size).toBe(1);
    vi.advanceTimersByTime(40);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual(["late"]);
  });

  it("keeps one timer however many waits are in flight", () => {
    const wheel = createDeadlineWheel({ tickMs: 10 });
    for (let i = 0; i < 1000; i++) wheel.add(15_000 + i, () => {});
    expect(vi.getTimerCount()).toBe(1);
    expect(wheel.size).toBe(1000);
    wheel.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(wheel.size).toBe(0);
  });

  it("counts the same callback added twice as two waits", () => {
    const wheel = createDeadlineWheel({ tickMs: 10 });
    const onExpire = vi.fn();
    wheel.add(10, onExpire);
    const cancel = wheel.add(10, onExpire);
    cancel();
    vi.advanceTimersByTime(20);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });
});
