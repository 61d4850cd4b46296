import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { JsonObject } from "@bufbuild/protobuf";
import { type DaemonCommand, DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";

/** A daemon written against DaemonService alone, whose answers the test decides. */
export interface FakeDaemon {
  /** Launch commands received so far. */
  launches: DaemonCommand[];
  /** Stop commands received so far. */
  stops: DaemonCommand[];
  /** Resolves with the next launch command (or the first one not yet taken). */
  nextLaunch(): Promise<DaemonCommand>;
  acknowledge(commandId: string, status: string, payload: JsonObject): Promise<void>;
  /** Closes the command stream: the machine goes offline. */
  stop(): void;
}

/**
 * Subscribes with a machine token and records the commands it gets.
 * `autoAck` answers each launch at once; without it launches wait for the test
 * (a daemon that stays silent past the deadline, or answers late).
 */
export function startFakeDaemon(url: string, machineToken: string, options: { autoAck?: (c: DaemonCommand) => JsonObject } = {}): FakeDaemon {
  const controller = new AbortController();
  const headers = { Authorization: `Bearer ${machineToken}` };
  const client = createClient(DaemonService, createGrpcTransport({ baseUrl: url }));
  const launches: DaemonCommand[] = [];
  const stops: DaemonCommand[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  const daemon: FakeDaemon = {
    launches,
    stops,
    async nextLaunch() {
      while (launches.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve));
      return launches[taken++]!;
    },
    async acknowledge(commandId, status, payload) {
      await client.acknowledge({ commandId, status, payload }, { headers });
    },
    stop: () => controller.abort(),
  };
  (async () => {
    for await (const command of client.subscribe({ daemonVersion: "fake", hostname: "fake-host" }, { headers, signal: controller.signal })) {
      if (command.kind.case === "stop") stops.push(command);
      if (command.kind.case !== "launch") continue;
      launches.push(command);
      for (const wake of waiters.splice(0)) wake();
      if (options.autoAck) await daemon.acknowledge(command.commandId, "ok", options.autoAck(command));
    }
  })().catch(() => {});
  return daemon;
}
