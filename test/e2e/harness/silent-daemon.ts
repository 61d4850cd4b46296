import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";

/**
 * A daemon that subscribes and then never answers: the machine is online but
 * every launch on it runs into the launch deadline.
 */
export function startSilentDaemon(url: string, machineToken: string): { stop(): void } {
  const controller = new AbortController();
  const client = createClient(DaemonService, createGrpcTransport({ baseUrl: url }));
  (async () => {
    for await (const _ of client.subscribe(
      { daemonVersion: "silent", hostname: "nowhere" },
      { headers: { Authorization: `Bearer ${machineToken}` }, signal: controller.signal },
    )) {
      // Commands are received and ignored.
    }
  })().catch(() => {});
  return { stop: () => controller.abort() };
}
