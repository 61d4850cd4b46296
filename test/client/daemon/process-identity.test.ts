import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isSameProcess, processStartTime, signalProcessGroup } from "../../../client/daemon/process-identity.js";

async function exitedChild(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid ?? 0;
}

describe("processStartTime", () => {
  it("reads a stable start time of a running process", () => {
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(start);
  });

  it("is empty for a process that is gone", async () => {
    expect(processStartTime(await exitedChild())).toBe("");
  });
});

describe("isSameProcess", () => {
  it("tells a running process from one with the same pid but another start time", () => {
    const start = processStartTime(process.pid);
    expect(isSameProcess(process.pid, start)).toBe(true);
    expect(isSameProcess(process.pid, String(Number(start) + 1))).toBe(false);
  });

  it("is false for a process that is gone and for invalid pids", async () => {
    expect(isSameProcess(await exitedChild(), "")).toBe(false);
    expect(isSameProcess(0, "")).toBe(false);
    expect(isSameProcess(-1, "")).toBe(false);
  });
});

describe("signalProcessGroup", () => {
  it("signals the group of a group leader", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore", detached: true });
    const exit = once(child, "exit");
    expect(signalProcessGroup(child.pid ?? 0, "SIGTERM")).toBe(true);
    expect((await exit)[1]).toBe("SIGTERM");
    expect(signalProcessGroup(child.pid ?? 0, "SIGTERM")).toBe(false);
  });
});
