import { createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createFailoverTransport } from "../../../client/daemon/create-failover-transport.js";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";

/** An in-memory server that records, under `name`, each acknowledgement it gets. */
function serverNamed(name: string, calls: string[]): Transport {
  return createRouterTransport((router) =>
    router.service(DaemonService, {
      acknowledge(request) {
        calls.push(`${name}:${request.commandId}`);
        return {};
      },
    }),
  );
}

describe("createFailoverTransport", () => {
  it("sends every call to the current server and moves to the next in order, wrapping around", async () => {
    const calls: string[] = [];
    const connected: string[] = [];
    const failover = createFailoverTransport({
      servers: ["a", "b", "c"],
      connect: (server) => {
        connected.push(server);
        return serverNamed(server, calls);
      },
    });
    const client = createClient(DaemonService, failover.transport);
    expect(failover.current()).toBe("a");
    await client.acknowledge({ commandId: "1" });
    expect(failover.next()).toBe("b");
    await client.acknowledge({ commandId: "2" });
    expect(failover.next()).toBe("c");
    expect(failover.next()).toBe("a");
    await client.acknowledge({ commandId: "3" });
    expect(calls).toEqual(["a:1", "b:2", "a:3"]);
    // One transport per server, built when first used.
    expect(connected).toEqual(["a", "b"]);
  });

  it("stays on a single server", () => {
    const failover = createFailoverTransport({ servers: ["only"], connect: (server) => serverNamed(server, []) });
    expect(failover.next()).toBe("only");
    expect(failover.current()).toBe("only");
  });

  it("says a round is over once the failovers since the last reset went round every server", () => {
    const failover = createFailoverTransport({ servers: ["a", "b", "c"], connect: (server) => serverNamed(server, []) });
    failover.next();
    expect(failover.roundOver()).toBe(false);
    failover.next();
    expect(failover.roundOver()).toBe(false);
    failover.next();
    expect(failover.roundOver()).toBe(true);
    // The next round starts at once.
    failover.next();
    expect(failover.roundOver()).toBe(false);
    failover.reset();
    failover.next();
    failover.next();
    expect(failover.roundOver()).toBe(false);
  });

  it("refuses an empty list of servers", () => {
    expect(() => createFailoverTransport({ servers: [], connect: () => serverNamed("x", []) })).toThrow("no server");
  });
});
