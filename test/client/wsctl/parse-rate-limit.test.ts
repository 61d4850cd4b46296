import { describe, expect, it } from "vitest";
import { parseRateLimit } from "../../../client/wsctl/parse-rate-limit.js";

describe("parseRateLimit", () => {
  it("reads RATE, RATE:BURST and off", () => {
    expect(parseRateLimit("100")).toEqual({ ratePerSecond: 100, burst: 100 });
    expect(parseRateLimit("0.5")).toEqual({ ratePerSecond: 0.5, burst: 1 });
    expect(parseRateLimit("10:50")).toEqual({ ratePerSecond: 10, burst: 50 });
    expect(parseRateLimit("off")).toBe(false);
  });

  it("refuses anything else", () => {
    for (const bad of ["", "0", "-1", "1:0", "a", "1:2:3", "1e3", " 1", "Off"]) expect(parseRateLimit(bad), bad).toBeUndefined();
  });
});
