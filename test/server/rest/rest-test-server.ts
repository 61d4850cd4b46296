import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { RestHandler } from "../../../server/rest/create-rest-handler.js";

/** A real server on 127.0.0.1 with `handler` in front of a stand-in "Connect" that answers 404 "fallthrough". */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

const fallthrough = (res: http.ServerResponse | http2.Http2ServerResponse) => {
  res.statusCode = 404;
  res.setHeader("content-type", "text/plain");
  res.end("fallthrough");
};

export async function startHttp(handler: RestHandler): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    if (!handler(req, res)) fallthrough(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The same over cleartext HTTP/2 (h2c). */
export async function startH2c(handler: RestHandler): Promise<TestServer> {
  const server = http2.createServer((req, res) => {
    if (!handler(req, res)) fallthrough(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw HTTP/1.1 request with full control of headers and body chunks (for chunked uploads). */
export function rawRequest(
  url: string,
  options: { method: string; headers?: Record<string, string>; chunks?: (string | Buffer)[] },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    for (const c of options.chunks ?? []) req.write(c);
    req.end();
  });
}
