import { describe, expect, it } from "vitest";
import { createBackoff, sleep } from "../../../client/daemon/create-backoff.js";

describe("createBackoff", () => {
  it("doubles from initialMs up to maxMs with jitter in [0.5, 1)", () => {
    const low = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
  });

  it("starts over after reset", () => {
    const backoff = createBackoff({ initialMs: 10, maxMs: 80, random: () => 0.999 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(10);
  });

  it("defaults to 500 ms up to 30 s", () => {
    const backoff = createBackoff({ random: () => 0.999 });
    expect(backoff.next()).toBe(500);
    expect(backoff.maxMs).toBe(30_000);
  });
});

describe("sleep", () => {
  it("ends at once when the signal aborts", async () => {
    const abort = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, abort.signal);
    abort.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
