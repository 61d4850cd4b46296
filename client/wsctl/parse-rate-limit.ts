import type { RateLimit } from "../../server/start-server.js";

/**
 * A rate-limit flag: `RATE` (per second; the burst is the same) or
 * `RATE:BURST`, or `off`. Undefined when the value is none of these.
 */
export function parseRateLimit(value: string): RateLimit | false | undefined {
  if (value === "off") return false;
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(value);
  if (!match) return undefined;
  const ratePerSecond = Number(match[1]);
  const burst = match[2] !== undefined ? Number(match[2]) : Math.max(1, Math.ceil(ratePerSecond));
  if (!(ratePerSecond > 0) || !(burst >= 1)) return undefined;
  return { ratePerSecond, burst };
}
