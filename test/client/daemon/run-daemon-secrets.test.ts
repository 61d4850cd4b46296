import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pollUntil } from "../../support/poll-until.js";
import { useDaemonTestBed } from "./use-daemon-test-bed.js";

const token = "wsm_secret-token-1";
const bed = useDaemonTestBed(token);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function launch(commandId: string, sessionId: string) {
  return { commandId, kind: { case: "launch" as const, value: { sessionId, workspaceId: "ws1", request: { workspaceId: "ws1" } } } };
}

describe("runDaemon", () => {
  it("starts agents with no WSCTL_ variable but the allowed ones, the machine token least of all", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      WSCTL_TOKEN: token,
      WSCTL_TOKEN_FILE: "/somewhere/token",
      WSCTL_SERVER: "http://fake",
      WSCTL_SHARED_HINT: "for the agent",
    });
    bed.onCleanup(async () => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    });
    const daemon = await bed.startDaemon({ agentEnvAllow: ["WSCTL_SHARED_HINT"] });
    daemon.fake.push(launch("c1", "s1"));
    const ack = await daemon.fake.waitForAck("c1");
    expect(ack.status).toBe("ok");
    bed.leave(Number(ack.payload?.pid));
    const record = await pollUntil(async () => (await bed.agents.records()).find((r) => r.pid === Number(ack.payload?.pid)), { what: "the agent's record" });
    expect(record.wsctlEnv).toEqual({ WSCTL_SHARED_HINT: "for the agent" });
    expect(JSON.stringify(record)).not.toContain(token);
  });

  it("sends one instance id on every subscription of a run, a new one on the next run, and waits out a refusal", async () => {
    const first = await bed.startDaemon();
    first.fake.refuseSubscribes = 2;
    first.fake.endStream();
    await first.fake.waitForSubscribes(4);
    const ids = first.fake.subscribeRequests.map((r) => r.instanceId);
    expect(ids[0]).toMatch(uuid);
    expect(new Set(ids)).toEqual(new Set([ids[0]]));
    expect(first.logs.filter((l) => l.includes("keeps the machine for another daemon instance"))).toHaveLength(2);
    // Logged as the fingerprint the server logs, never as the id that proves the reconnects.
    expect(first.logs).toContain(`daemon: instance ${createHash("sha256").update(ids[0]!).digest("hex").slice(0, 8)}`);
    expect(first.logs.join("\n")).not.toContain(ids[0]!);

    const second = await bed.startDaemon();
    expect(second.fake.subscribeRequests[0]?.instanceId).toMatch(uuid);
    expect(second.fake.subscribeRequests[0]?.instanceId).not.toBe(ids[0]);
  });
});
