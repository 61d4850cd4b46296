import * as http from "node:http";
import type * as http2 from "node:http2";

/** What came back for a request whose body was never finished. */
export interface EarlyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The response body as received (bytes). */
  body: Buffer;
  /** Trailers (HTTP/2), or {} when there were none. */
  trailers: Record<string, string | string[] | undefined>;
}

export interface UnfinishedRequest {
  method?: string;
  path: string;
  headers: Record<string, string>;
  /** The declared body size (`content-length`); only `sent` bytes of it are ever sent. Default 1 MiB. */
  declaredBytes?: number;
  /** Bytes actually sent before waiting for the answer. Default 16 bytes of `{`. */
  sent?: Buffer;
}

/**
 * Sends a request declaring a large body, sends only its first bytes and waits
 * for the answer: a server that answers must have done so without reading the
 * body. Over HTTP/1.1 (`http://` base URL) or, with `session`, on an HTTP/2 stream.
 */
export function unfinishedRequest(
  target: { url: string } | { session: http2.ClientHttp2Session },
  request: UnfinishedRequest,
): Promise<EarlyAnswer> {
  const declared = request.declaredBytes ?? 1024 * 1024;
  const first = request.sent ?? Buffer.alloc(16, 0x7b);
  if ("url" in target) {
    return new Promise((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: false });
      const req = http.request(`${target.url}${request.path}`, {
        method: request.method ?? "POST",
        headers: { ...request.headers, "content-length": String(declared) },
        agent,
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers });
          req.destroy();
          agent.destroy();
        });
      });
      req.on("error", reject);
      req.write(first);
    });
  }
  return new Promise((resolve, reject) => {
    const stream = target.session.request({
      ":method": request.method ?? "POST",
      ":path": request.path,
      ...request.headers,
      "content-length": String(declared),
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      headers = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      resolve({ status: Number(headers[":status"]), headers, body: Buffer.concat(chunks), trailers });
      stream.close();
    });
    stream.on("error", reject);
    stream.write(first);
  });
}
