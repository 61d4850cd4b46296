import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../../server/limits/create-rate-limiter.js";

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("createRateLimiter", () => {
  it("lets a burst through, then one call per refill interval", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 10, burst: 3, now: c.now });
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 0]);
    expect(limiter.take("a")).toBe(100);
    c.advance(50);
    expect(limiter.take("a")).toBe(50);
    c.advance(50);
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(100);
  });

  it("keeps keys apart and never refills past the burst", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 2, now: c.now });
    limiter.take("a");
    limiter.take("a");
    expect(limiter.take("a")).toBeGreaterThan(0);
    expect(limiter.take("b")).toBe(0);
    c.advance(60_000);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 1000]);
  });

  it("tells how long until a token without taking one", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 1, now: c.now });
    expect(limiter.wait("a")).toBe(0);
    expect(limiter.take("a")).toBe(0);
    expect(limiter.wait("a")).toBe(500);
    expect(limiter.wait("a")).toBe(500);
    c.advance(500);
    expect(limiter.wait("a")).toBe(0);
  });

  it("bounds the keys it tracks, dropping full buckets first and the oldest when none is", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 100, now: c.now });
    for (let i = 0; i < 1000; i++) limiter.take(`k${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    c.advance(5_000);
    limiter.take("fresh");
    expect(limiter.size).toBe(1);
  });

  it("refuses shapes that limit nothing or everything", () => {
    expect(() => createRateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ ratePerSecond: 1, burst: 0 })).toThrow(RangeError);
    expect(() => createRateLimiter({ ratePerSecond: Number.NaN, burst: 1 })).toThrow(RangeError);
  });
});
