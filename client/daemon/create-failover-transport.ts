import type { Transport } from "@connectrpc/connect";

/** Options of createFailoverTransport. */
export interface FailoverTransportOptions {
  /** The servers, in the order they are tried; at least one. */
  servers: readonly string[];
  /** Builds the transport to one server; called once per server, when it is first used. */
  connect: (server: string) => Transport;
}

/** One transport over several servers: every call goes to the current one. */
export interface FailoverTransport {
  /** Calls through it go to current(); a call already running stays where it started. */
  readonly transport: Transport;
  readonly servers: readonly string[];
  /** The server calls go to now; the first one at start. */
  current(): string;
  /** Moves to the next server in order, wrapping around after the last, and returns it. */
  next(): string;
  /**
   * Whether the failovers since the last `reset()` went round every server
   * (time to wait before the next try); starts the next round when it did.
   */
  roundOver(): boolean;
  /** The current server works: the next failover starts a new round. */
  reset(): void;
}

/**
 * A transport that fails over between servers (replicas behind one database,
 * as behind a load balancer): the daemon's stream, acknowledgements and
 * reports all follow the current server, and runDaemon moves to the next one
 * when its stream fails. With a single server it is that server's transport.
 */
export function createFailoverTransport(options: FailoverTransportOptions): FailoverTransport {
  const servers = [...options.servers];
  if (servers.length === 0) throw new Error("createFailoverTransport: no server given");
  const transports = new Map<number, Transport>();
  let index = 0;
  let failovers = 0;
  const pick = (): Transport => {
    let transport = transports.get(index);
    if (transport === undefined) {
      transport = options.connect(servers[index]!);
      transports.set(index, transport);
    }
    return transport;
  };
  const transport: Transport = {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      pick().unary(method, signal, timeoutMs, header, input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      pick().stream(method, signal, timeoutMs, header, input, contextValues),
  };
  return {
    transport,
    servers,
    current: () => servers[index]!,
    next() {
      index = (index + 1) % servers.length;
      failovers += 1;
      return servers[index]!;
    },
    roundOver() {
      if (failovers < servers.length) return false;
      failovers = 0;
      return true;
    },
    reset() {
      failovers = 0;
    },
  };
}
