import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

/** The HTTP/2 transport from a daemon to one server for `protocol`. */
export function createDaemonTransport(server: string, protocol: "grpc" | "connect"): Transport {
  // HTTP/2 PINGs notice a dead connection while the stream is idle.
  const ping = { pingIntervalMs: 30_000, pingTimeoutMs: 15_000 };
  if (protocol === "connect") return createConnectTransport({ baseUrl: server, httpVersion: "2", ...ping });
  return createGrpcTransport({ baseUrl: server, ...ping });
}
