import { describe, expect, it } from "vitest";
import { runServe } from "../../../client/wsctl/serve-command.js";

/** Runs `wsctl serve` with `args`; stops it as soon as it says it serves. */
async function serve(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const abort = new AbortController();
  let stdout = "";
  let stderr = "";
  const code = await runServe(["--listen", "127.0.0.1:0", "--database", ":memory:", ...args], {
    env: { WSCTL_LOG_FORMAT: "json" },
    signal: abort.signal,
    stdout: (s) => {
      stdout += s;
      if (s.includes("serving")) abort.abort();
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

describe("runServe", () => {
  it("takes the limit flags", async () => {
    const run = await serve([
      "--max-streams", "50",
      "--rate-per-address", "500:1000",
      "--rate-per-token", "off",
      "--auth-failures-per-address", "5",
      "--max-watch-streams", "10",
    ]);
    // stderr holds the server's JSON log lines: nothing there above info, nothing else.
    expect(run.stderr.split("\n").filter((line) => line !== "" && !line.startsWith('{"level":"info"'))).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("refuses a malformed limit flag before starting anything", async () => {
    for (const [flag, value, message] of [
      ["--rate-per-token", "fast", "--rate-per-token must be RATE, RATE:BURST (per second) or off"],
      ["--max-streams", "0", "--max-streams must be a positive whole number"],
      ["--max-watch-streams", "x", "--max-watch-streams must be a positive whole number"],
    ] as const) {
      const run = await serve([flag, value]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe("");
    }
  });

  it("refuses --root without --dev, and a --root that is not a directory, before starting anything", async () => {
    const alone = await serve(["--root", "."]);
    expect([alone.code, alone.stdout]).toEqual([2, ""]);
    expect(alone.stderr).toContain("--root goes with --dev");
    const missing = await serve(["--dev", "--root", "/nonexistent/wsctl-root"]);
    expect([missing.code, missing.stdout]).toEqual([2, ""]);
    expect(missing.stderr).toContain("--root /nonexistent/wsctl-root: no such directory");
  });
});
