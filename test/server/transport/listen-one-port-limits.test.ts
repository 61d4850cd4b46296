import * as http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnePort } from "../../../server/transport/listen-one-port.js";
import { pollUntil } from "../../support/poll-until.js";
import { h2Close } from "./one-port-clients.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Holds every request open until `release()`. */
function holdingHandler() {
  const held: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  return {
    handler: (_req: unknown, res: http2.Http2ServerResponse) => {
      active++;
      maxActive = Math.max(maxActive, active);
      res.writeHead(200);
      res.write("open\n");
      held.push(() => {
        active--;
        res.end();
      });
    },
    held,
    active: () => active,
    maxActive: () => maxActive,
  };
}

/** A session to `url` and the server's SETTINGS_MAX_CONCURRENT_STREAMS from its first SETTINGS frame. */
async function connectReadingSettings(url: string): Promise<{ session: http2.ClientHttp2Session; advertised: number | undefined }> {
  const session = http2.connect(url);
  session.on("error", () => {});
  cleanups.push(() => h2Close(session));
  const advertised = await new Promise<number | undefined>((resolve) => session.once("remoteSettings", (s) => resolve(s.maxConcurrentStreams)));
  return { session, advertised };
}

describe("listenOnePort", () => {
  it("advertises maxConcurrentStreams and never runs more streams of one connection at once", async () => {
    const hold = holdingHandler();
    const server = await listenOnePort({ port: 0, handler: hold.handler as never, maxConcurrentStreams: 3, onError: () => {} });
    cleanups.push(() => server.close({ graceMs: 100 }));
    const { session, advertised } = await connectReadingSettings(server.url);
    expect(advertised).toBe(3);

    // Node's client queues what the server would refuse: the server never runs more than 3 at once.
    const done = Array.from({ length: 5 }, () => {
      const stream = session.request({ ":path": "/" });
      stream.end();
      stream.resume();
      return new Promise<void>((resolve) => stream.once("close", () => resolve()));
    });
    let served = 0;
    while (served < 5) {
      await pollUntil(() => hold.held.length > 0, { what: "a held request" });
      expect(hold.active()).toBeLessThanOrEqual(3);
      hold.held.shift()!();
      served++;
    }
    await Promise.all(done);
    console.log(`listenOnePort: 5 streams on one connection with maxConcurrentStreams 3: at most ${hold.maxActive()} ran at once`);
    expect(hold.maxActive()).toBe(3);
  });

  it("defaults maxConcurrentStreams to 100 and refuses a nonsense value", async () => {
    const server = await listenOnePort({ port: 0, handler: holdingHandler().handler as never, onError: () => {} });
    cleanups.push(() => server.close({ graceMs: 100 }));
    expect((await connectReadingSettings(server.url)).advertised).toBe(100);
    await expect(listenOnePort({ port: 0, handler: () => {}, maxConcurrentStreams: 0 })).rejects.toThrow(RangeError);
  });
});
