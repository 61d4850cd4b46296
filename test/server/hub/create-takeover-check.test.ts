import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { Backplane, DaemonInfo } from "../../../server/hub/backplane.js";
import { createTakeoverCheck, type HeldStream, instanceFingerprint, instanceHash } from "../../../server/hub/create-takeover-check.js";
import { expectCode } from "../store/store-contract-fixtures.js";

function held(instanceId: string, alive = true): HeldStream & { closes: number } {
  const stream = {
    closes: 0,
    queue: {
      closed: false,
      close() {
        stream.closes++;
        stream.queue.closed = true;
      },
    },
    info: { daemonVersion: "1", hostname: "holder-host" },
    holder: { instanceId, probe: async () => alive },
  };
  return stream;
}

function check(connections: Map<string, HeldStream>, remote = new Map<string, DaemonInfo>()) {
  const logged: string[] = [];
  const backplane = { online: async (ids: readonly string[]) => new Map(ids.flatMap((id) => (remote.has(id) ? [[id, remote.get(id)!]] : []))) } as Backplane;
  return { logged, takeover: createTakeoverCheck({ connections, backplane, log: (m) => logged.push(m) }) };
}

const claimant = (instanceId: string) => ({ instanceId, hostname: "claimant-host" });

describe("createTakeoverCheck", () => {
  it("lets the holder's own instance reconnect, and daemons without an instance id in", async () => {
    const { takeover } = check(new Map([["m1", held("inst-a")]]));
    await takeover("m1", claimant("inst-a"));
    await takeover("m1", claimant(""));
  });

  it("refuses another instance with already_exists while the holder answers its probe, naming only fingerprints", async () => {
    const stream = held("inst-a");
    const { takeover, logged } = check(new Map([["m1", stream]]));
    await expectCode(takeover("m1", claimant("inst-b")), Code.AlreadyExists, /already has a live daemon/);
    expect(stream.closes).toBe(0);
    expect(logged.join("\n")).toContain(instanceFingerprint("inst-b"));
    expect(logged.join("\n")).not.toContain("inst-a");
  });

  it("lets another instance take over from a holder that does not answer, closing its stream", async () => {
    const stream = held("inst-a", false);
    const { takeover, logged } = check(new Map([["m1", stream]]));
    await takeover("m1", claimant("inst-b"));
    expect(stream.closes).toBe(1);
    expect(logged.join("\n")).toContain("takes over its stream");
  });

  it("refuses another instance while another replica's lease names a different instance, and lets the same one in", async () => {
    const remote = new Map([["m1", { daemonVersion: "1", hostname: "far", instanceHash: instanceHash("inst-a") }]]);
    const { takeover } = check(new Map(), remote);
    await expectCode(takeover("m1", claimant("inst-b")), Code.AlreadyExists);
    await takeover("m1", claimant("inst-a"));
    await takeover("m2", claimant("inst-b"));
  });
});
