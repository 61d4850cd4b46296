// The real app (createInProcessApp) on a real port for the daemon's report
// tests, counting the DaemonService calls that reach it by method, and able to
// stand for a server that predates StreamReports.
import { type MockInstance, vi } from "vitest";
import type { DaemonHub } from "../../../server/hub/create-daemon-hub.js";
import { listenOnePort } from "../../../server/transport/listen-one-port.js";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";

export interface CountedApp extends InProcessApp {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** DaemonService calls received, by method name (`Acknowledge`, `StreamReports`, ...). */
  calls(method: string): number;
}

/**
 * Serves a new in-process app. With `streamReports: false` a StreamReports
 * call is answered HTTP 404, as by a server whose routes predate it (a
 * client reads `unimplemented`).
 */
export async function serveCountedApp(options: { streamReports?: boolean } = {}): Promise<CountedApp> {
  const env = await createInProcessApp();
  const counts = new Map<string, number>();
  const prefix = "/workspaces.v1.DaemonService/";
  const server = await listenOnePort({
    port: 0,
    onError: () => {},
    handler(req, res) {
      const url = req.url ?? "";
      if (url.startsWith(prefix)) {
        const method = url.slice(prefix.length);
        counts.set(method, (counts.get(method) ?? 0) + 1);
        if (method === "StreamReports" && options.streamReports === false) {
          res.statusCode = 404;
          res.end();
          return;
        }
      }
      env.app.handler(req, res);
    },
  });
  return {
    ...env,
    url: server.url,
    port: server.port,
    calls: (method) => counts.get(method) ?? 0,
    async close() {
      await server.close({ graceMs: 100 });
      await env.close();
    },
  };
}

/**
 * Holds the app's acknowledgements between being applied and being answered
 * (its hub's `deliverAck`, the last step) until `release()`: what a daemon
 * sees when the answer is lost on the way.
 */
export function holdAckAnswers(app: CountedApp): { held: MockInstance<DaemonHub["deliverAck"]>; release: () => void } {
  const deliver = app.app.hub.deliverAck.bind(app.app.hub);
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = vi.spyOn(app.app.hub, "deliverAck").mockImplementation(async (...args) => {
    await released;
    return deliver(...args);
  });
  return { held, release };
}
