import * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ListenOptions, listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";
import { h1Get, h2Connect, h2Get } from "./one-port-clients.js";
import { connectRaw, readUntilClose, type VersionHandler, versionHandler } from "./one-port-fixtures.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  options: Partial<ListenOptions> = {},
): Promise<{ server: OnePortServer; app: VersionHandler }> {
  const app = versionHandler();
  const server = await listenOnePort({ port: 0, handler: app.handler, ...options });
  cleanups.push(() => server.close({ graceMs: 100 }));
  return { server, app };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** Starts GET /stream over HTTP/1.1 and resolves once the first chunk has arrived. */
function h1Stream(url: string): Promise<{ res: http.IncomingMessage; closed: Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/stream`, { agent: false }, (res) => {
      res.once("data", () => {
        const closed = new Promise<boolean>((done) => res.once("close", () => done(res.complete)));
        resolve({ res, closed });
      });
      res.on("error", () => {});
    });
    req.on("error", reject);
  });
}

/** Starts GET /stream over HTTP/2 and resolves once the first chunk has arrived. */
function h2Stream(session: http2.ClientHttp2Session): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": "/stream" });
    stream.on("error", () => {});
    stream.once("data", () => resolve({ closed: new Promise((done) => stream.once("close", () => done())) }));
    stream.once("error", reject);
    stream.end();
  });
}

describe("OnePortServer.close", () => {
  it("resolves promptly with idle keep-alive sockets, idle HTTP/2 sessions and silent connections", async () => {
    const { server } = await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    await h1Get(`${server.url}/`, { agent });
    const session = await h2Connect(server.url);
    await h2Get(session, "/");
    const goaway = new Promise((resolve) => session.once("goaway", resolve));
    const silent = await connectRaw(server.port);
    const silentClosed = readUntilClose(silent);

    const started = Date.now();
    await server.close({ graceMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    await goaway;
    await silentClosed;
    expect(await refused(server.port)).toBe(true);
  });

  it("lets requests in flight finish, telling HTTP/1.1 clients to close and HTTP/2 clients GOAWAY", async () => {
    const { server, app } = await start();
    const h1Answer = h1Get(`${server.url}/slow`, { agent: new http.Agent({ keepAlive: true }) });
    const session = await h2Connect(server.url);
    cleanups.push(() => session.destroy());
    const goaway = new Promise((resolve) => session.once("goaway", resolve));
    const h2Answer = h2Get(session, "/slow");
    expect([await app.nextRequest(), await app.nextRequest()]).toEqual(["/slow", "/slow"]);

    let done = false;
    const closing = server.close({ graceMs: 20_000 }).then(() => {
      done = true;
    });
    await goaway;
    expect(await refused(server.port)).toBe(true);
    expect(done).toBe(false);

    app.release.open();
    const [h1, h2] = await Promise.all([h1Answer, h2Answer]);
    expect(h1).toMatchObject({ status: 200, body: "done" });
    expect(h1.headers.connection).toBe("close");
    expect(h2).toMatchObject({ status: 200, body: "done" });
    await closing;
  });

  it("ends long streaming responses once graceMs has passed", async () => {
    const { server } = await start();
    const h1 = await h1Stream(server.url);
    const session = await h2Connect(server.url);
    cleanups.push(() => session.destroy());
    const h2 = await h2Stream(session);

    const graceMs = 300;
    const started = Date.now();
    await server.close({ graceMs });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(graceMs - 20);
    expect(elapsed).toBeLessThan(graceMs + 3_000);
    expect(await h1.closed).toBe(false); // cut off, not completed
    await h2.closed;
  });

  it("returns the same promise when called twice", async () => {
    const { server } = await start();
    const a = server.close();
    const b = server.close({ graceMs: 1 });
    expect(a).toBe(b);
    await a;
  });
});

describe("listenOnePort idle timeout", () => {
  it("closes idle HTTP/2 sessions but not one with an open stream", async () => {
    const { server } = await start({ idleTimeoutMs: 200 });
    const streaming = await h2Connect(server.url);
    cleanups.push(() => streaming.destroy());
    await h2Stream(streaming);
    const idle = await h2Connect(server.url);
    cleanups.push(() => idle.destroy());
    await h2Get(idle, "/");
    const started = Date.now();
    await new Promise((resolve) => idle.once("goaway", resolve));
    // The streaming session has now been without a new stream for longer than the idle timeout.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(streaming.closed || streaming.destroyed).toBe(false);
    expect((await h2Get(streaming, "/")).body).toBe("2.0");
  });

  it("closes idle HTTP/1.1 keep-alive sockets but not one streaming a response", async () => {
    const { server } = await start({ idleTimeoutMs: 200 });
    const streaming = await h1Stream(server.url);
    // A raw client never closes on its own: only the server can end this connection.
    const socket = await connectRaw(server.port);
    const reply = readUntilClose(socket);
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await reply;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/\r\nConnection: keep-alive\r\n/i);
    expect(streaming.res.destroyed).toBe(false);
    streaming.res.destroy();
  });
});
