import * as https from "node:https";
import * as tls from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";
import { h1Get, h2Close, h2Connect, h2Get } from "./one-port-clients.js";
import {
  connectRaw,
  makeSelfSigned,
  readUntilClose,
  requireCommand,
  run,
  type SelfSigned,
  versionHandler,
} from "./one-port-fixtures.js";

let made: Promise<SelfSigned> | undefined;
afterAll(async () => {
  if (made) await (await made).remove();
});

/** The self-signed certificate, made once; skips (fails in CI) without `openssl`. */
async function certificate(skip: (note: string) => void): Promise<SelfSigned> {
  await requireCommand("openssl", skip);
  made ??= makeSelfSigned();
  return made;
}

async function startTls(cert: SelfSigned): Promise<OnePortServer> {
  return listenOnePort({
    port: 0,
    handler: versionHandler().handler,
    tls: { cert: cert.cert, key: cert.key },
  });
}

/**
 * A TLS connection that completed its handshake on both sides and sent nothing.
 * The server sends its TLS 1.3 session ticket once it has the client's Finished,
 * so the client's `session` event means the server side is done too.
 */
async function silentTls(server: OnePortServer, cert: SelfSigned, alpn: string): Promise<tls.TLSSocket> {
  const socket = tls.connect({ port: server.port, host: "127.0.0.1", ca: cert.cert, ALPNProtocols: [alpn] });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("session", resolve));
  expect(socket.alpnProtocol).toBe(alpn);
  return socket;
}

describe("listenOnePort with TLS", () => {
  it("lets ALPN pick h2 for http2.connect and http/1.1 for https.request", async ({ skip }) => {
    const cert = await certificate(skip);
    const server = await startTls(cert);
    try {
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      const session = await h2Connect(server.url, { ca: cert.cert });
      const h2 = await h2Get(session, "/");
      await h2Close(session);
      expect(h2).toMatchObject({ status: 200, body: "2.0", alpn: "h2" });

      // node:https offers no ALPN unless asked; offer http/1.1 as browsers do beside h2.
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: cert.cert, ALPNProtocols: ["http/1.1"] });
      const first = await h1Get(`${server.url}/`, { agent, ca: cert.cert });
      const second = await h1Get(`${server.url}/`, { agent, ca: cert.cert });
      agent.destroy();
      expect(first).toMatchObject({ status: 200, body: "1.1", alpn: "http/1.1" });
      expect(second).toMatchObject({ body: "1.1", reusedSocket: true });
    } finally {
      await server.close({ graceMs: 100 });
    }
  });

  it("serves HTTP/1.1 to a client that offers no ALPN", async ({ skip }) => {
    const cert = await certificate(skip);
    const server = await startTls(cert);
    try {
      const socket = tls.connect({ port: server.port, host: "127.0.0.1", ca: cert.cert, servername: "localhost" });
      const reply = readUntilClose(socket);
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect(await reply).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n1\.1$/);
    } finally {
      await server.close({ graceMs: 100 });
    }
  });

  it("serves curl over TLS with both versions", async ({ skip }) => {
    const cert = await certificate(skip);
    await requireCommand("curl", skip);
    const server = await startTls(cert);
    try {
      const args = ["-sS", "--cacert", cert.certPath];
      const h2 = await run("curl", [...args, "--http2", `${server.url}/`]);
      const h1 = await run("curl", [...args, "--http1.1", `${server.url}/`]);
      expect(h2).toMatchObject({ code: 0, stdout: "2.0" });
      expect(h1).toMatchObject({ code: 0, stdout: "1.1" });
    } finally {
      await server.close({ graceMs: 100 });
    }
  });

  it("closes promptly with idle TLS connections, silent ones and a client stuck before its handshake", async ({
    skip,
  }) => {
    const cert = await certificate(skip);
    const server = await startTls(cert);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: cert.cert });
    await h1Get(`${server.url}/`, { agent, ca: cert.cert });
    const session = await h2Connect(server.url, { ca: cert.cert });
    await h2Get(session, "/");
    // Handshake done, nothing sent yet (as a browser's preconnect).
    const silent = await Promise.all([silentTls(server, cert, "http/1.1"), silentTls(server, cert, "h2")]);
    const stuck = await connectRaw(server.port);
    const closed = [readUntilClose(stuck), ...silent.map((socket) => readUntilClose(socket))];

    const started = Date.now();
    await server.close({ graceMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    await Promise.all(closed);
    agent.destroy();
    session.destroy();
  });

  it("rejects a certificate that is not PEM with a clear message", async () => {
    await expect(
      listenOnePort({ port: 0, handler: () => {}, tls: { cert: "not a certificate", key: "nor a key" } }),
    ).rejects.toThrow(/^TLS certificate or key is not usable: /);
  });
});
