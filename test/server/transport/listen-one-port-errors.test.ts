import type * as http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodeHandler } from "../../../server/rpc/node-handler.js";
import { type ListenOptions, listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";
import { h1Get, h2Close, h2Connect, h2Get } from "./one-port-clients.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

const bug = new Error("handler bug");

// /throw throws before answering; /started sends its head and a first chunk,
// then throws; /string throws a string; anything else answers "ok".
const handler: NodeHandler = (req, res) => {
  const r = res as http.ServerResponse;
  if (req.url === "/throw") throw bug;
  if (req.url === "/string") throw "not an Error";
  if (req.url === "/started") {
    r.writeHead(200, { "content-type": "text/plain" });
    r.write("partial");
    throw bug;
  }
  r.end("ok");
};

async function start(options: Partial<ListenOptions> = {}): Promise<OnePortServer> {
  const server = await listenOnePort({ port: 0, handler, ...options });
  cleanups.push(() => server.close({ graceMs: 100 }));
  return server;
}

/** An `onError` that records what it is told and lets a test wait for the next report. */
function errorSink() {
  const seen: Error[] = [];
  let wake: (() => void) | undefined;
  return {
    seen,
    onError: (error: Error) => {
      seen.push(error);
      wake?.();
    },
    next: (count: number) =>
      new Promise<void>((resolve) => {
        if (seen.length >= count) return resolve();
        wake = () => {
          if (seen.length >= count) resolve();
        };
      }),
  };
}

describe("listenOnePort onError", () => {
  it("is told what the handler threw, over HTTP/1.1 and HTTP/2, while the request is answered 500", async () => {
    const sink = errorSink();
    const server = await start({ onError: sink.onError });
    expect((await h1Get(`${server.url}/throw`)).status).toBe(500);
    const session = await h2Connect(server.url);
    cleanups.push(() => h2Close(session));
    expect((await h2Get(session, "/throw")).status).toBe(500);
    await sink.next(2);
    expect(sink.seen).toEqual([bug, bug]);
    expect((await h2Get(session, "/")).body).toBe("ok");
  });

  it("is told when the handler throws after its response started, and that response is cut off", async () => {
    const sink = errorSink();
    const server = await start({ onError: sink.onError });
    const answer = await h1Get(`${server.url}/started`).then(
      (a) => a.body,
      (e: unknown) => e,
    );
    await sink.next(1);
    expect(sink.seen).toEqual([bug]);
    // Cut off: the client either fails or sees the body end at the first chunk.
    if (typeof answer === "string") expect(answer).toBe("partial");
    else expect(answer).toBeInstanceOf(Error);
  });

  it("gets an Error, with the thrown value as its cause, when the handler throws something else", async () => {
    const sink = errorSink();
    const server = await start({ onError: sink.onError });
    expect((await h1Get(`${server.url}/string`)).status).toBe(500);
    await sink.next(1);
    expect(sink.seen[0]).toBeInstanceOf(Error);
    expect(sink.seen[0]?.message).toContain("not an Error");
    expect(sink.seen[0]?.cause).toBe("not an Error");
  });

  it("logs to stderr by default", async () => {
    let logged: (() => void) | undefined;
    const wrote = new Promise<void>((resolve) => {
      logged = resolve;
    });
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => logged?.());
    const server = await start();
    expect((await h1Get(`${server.url}/throw`)).status).toBe(500);
    await wrote;
    expect(consoleError).toHaveBeenCalledWith("listenOnePort:", bug);
  });
});
