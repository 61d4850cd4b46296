import { pollUntil } from "../../support/poll-until.js";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeHandler } from "../../../server/rpc/node-handler.js";

/** A latch the test opens by hand. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export interface VersionHandler {
  handler: NodeHandler;
  /** Resolves with each request's path as the handler receives it. */
  nextRequest(): Promise<string>;
  /** `/slow` answers once this gate opens. */
  release: Gate;
}

/**
 * GET / answers the HTTP version (`req.httpVersion`) with the client's port in
 * `x-remote-port`; /stream sends "start\n" and then never ends on its own;
 * /slow answers "done" once `release` opens; /throw throws.
 */
export function versionHandler(): VersionHandler {
  const waiting: ((path: string) => void)[] = [];
  const seen: string[] = [];
  const release = gate();
  const handler: NodeHandler = (req, res) => {
    const path = req.url ?? "/";
    const waiter = waiting.shift();
    if (waiter) waiter(path);
    else seen.push(path);
    const r = res as http.ServerResponse;
    if (path === "/throw") throw new Error("handler bug");
    if (path === "/stream") {
      r.writeHead(200, { "content-type": "text/plain" });
      r.write("start\n");
      return;
    }
    if (path === "/slow") {
      void release.promise.then(() => r.end("done"));
      return;
    }
    r.setHeader("x-remote-port", String(req.socket.remotePort));
    r.end(req.httpVersion);
  };
  return {
    handler,
    release,
    nextRequest: () => {
      const path = seen.shift();
      if (path !== undefined) return Promise.resolve(path);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** How to ask each command for its version, to see whether it is installed. */
const versionArgs: Record<string, string[]> = { curl: ["--version"], openssl: ["version"] };

export async function hasCommand(command: string): Promise<boolean> {
  const result = await run(command, versionArgs[command] ?? ["--version"]);
  return result.code === 0;
}

/**
 * Skips with a printed reason on a developer's machine, fails in CI, when a
 * command the test needs is missing.
 */
export async function requireCommand(command: string, skip: (note: string) => void): Promise<void> {
  if (await hasCommand(command)) return;
  const reason = `${command} is not installed`;
  if (process.env.CI === "true") throw new Error(`${reason} (required in CI)`);
  console.warn(`skipped: ${reason}`);
  skip(reason);
}

export interface SelfSigned {
  cert: Buffer;
  key: Buffer;
  certPath: string;
  keyPath: string;
  dir: string;
  remove(): Promise<void>;
}

/** A self-signed certificate for localhost and 127.0.0.1 made with the `openssl` command. */
export async function makeSelfSigned(): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), "one-port-tls-"));
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const result = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ]);
  if (result.code !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return {
    cert: await readFile(certPath),
    key: await readFile(keyPath),
    certPath,
    keyPath,
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A TCP proxy that forwards what clients send one byte per write (waiting for
 * each write to be flushed), so the server sees the preface split across packets.
 */
export async function byteByByteProxy(targetPort: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ port: targetPort, host: "127.0.0.1", noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", closeBoth).on("close", closeBoth);
    upstream.on("error", closeBoth).on("close", closeBoth);
    upstream.pipe(client);
    let queue = Promise.resolve();
    client.on("data", (chunk: Buffer) => {
      client.pause();
      queue = queue.then(async () => {
        for (const byte of chunk) {
          await new Promise<void>((resolve, reject) =>
            upstream.write(Buffer.of(byte), (error) => (error ? reject(error) : resolve())),
          );
          // Let the server's event loop run between bytes.
          await new Promise((resolve) => setImmediate(resolve));
        }
        client.resume();
      }).catch(closeBoth);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    port,
    close: () => {
      proxy.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  await pollUntil(check, { timeoutMs });
}

/** Connects a raw TCP socket. */
export function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything the peer sends until it closes the connection. */
export function readUntilClose(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}
