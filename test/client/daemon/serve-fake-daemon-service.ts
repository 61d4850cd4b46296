// The fake DaemonService on a real HTTP/2 port, for the daemon's tests that
// need real connections: the default transports, a server that dies.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createFakeDaemonService, type FakeDaemonService } from "./fake-daemon-service.js";

export interface ServedFakeDaemonService {
  fake: FakeDaemonService;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Drops every connection and stops listening: open streams are reset, new connections refused. */
  kill(): Promise<void>;
}

/** Serves a new fake on 127.0.0.1:`port` (default 0: any free port); `streamReports` as createFakeDaemonService takes it. */
export async function serveFakeDaemonService(options: { token: string; port?: number; streamReports?: boolean }): Promise<ServedFakeDaemonService> {
  const fake = createFakeDaemonService({ token: options.token, ...(options.streamReports !== undefined ? { streamReports: options.streamReports } : {}) });
  const server = http2.createServer(connectNodeAdapter({ routes: fake.routes }));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let killed: Promise<void> | undefined;
  return {
    fake,
    url: `http://127.0.0.1:${port}`,
    port,
    kill() {
      killed ??= new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      });
      return killed;
    },
  };
}
