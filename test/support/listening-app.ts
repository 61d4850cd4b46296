import { listenOnePort, type OnePortServer } from "../../server/transport/listen-one-port.js";
import { createInProcessApp, type InProcessApp, type InProcessAppOptions } from "./in-process-app.js";

/** `createInProcessApp` served on a real port of 127.0.0.1, so every protocol reaches it over the wire. */
export interface ListeningApp extends InProcessApp {
  /** Base URL, e.g. `http://127.0.0.1:43125`. */
  url: string;
  server: OnePortServer;
}

export async function createListeningApp(
  options: InProcessAppOptions = {},
  listen: { http2?: import("node:http2").Settings } = {},
): Promise<ListeningApp> {
  const env = await createInProcessApp(options);
  const server = await listenOnePort({ port: 0, handler: env.app.handler, onError: () => {}, ...listen });
  return {
    ...env,
    url: server.url,
    server,
    async close() {
      await server.close({ graceMs: 100 });
      await env.close();
    },
  };
}
