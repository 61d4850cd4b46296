import * as http from "node:http";
import type * as http2 from "node:http2";
import type { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { RpcProtocol } from "../../server/rpc/write-protocol-error.js";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /**
   * Declare this many body bytes (`content-length`) but send only `body` and
   * never end the request: a server that answers did so without reading the body.
   */
  declaredBytes?: number;
}

/**
 * One request with exactly the given headers and body bytes, over HTTP/1.1
 * (`url`) or an HTTP/2 `session`; resolves once the answer has ended.
 */
export function rawExchange(target: { url: string } | { session: http2.ClientHttp2Session }, request: RawRequest): Promise<RawAnswer> {
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  if ("url" in target) {
    return new Promise((resolve, reject) => {
      const req = http.request(`${target.url}${request.path}`, {
        method: request.method ?? "POST",
        headers: { ...request.headers, "content-length": String(request.declaredBytes ?? body.length) },
        agent: false,
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) });
          if (request.declaredBytes !== undefined) req.destroy();
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      if (request.declaredBytes !== undefined) req.write(body);
      else req.end(body);
    });
  }
  return new Promise((resolve, reject) => {
    const declared = request.declaredBytes !== undefined ? { "content-length": String(request.declaredBytes) } : {};
    const stream = target.session.request({ ":method": request.method ?? "POST", ":path": request.path, ...request.headers, ...declared });
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
      resolve({ status: Number(headers[":status"]), headers, trailers, body: Buffer.concat(chunks) });
      if (request.declaredBytes !== undefined) stream.close();
    });
    stream.on("error", reject);
    if (request.declaredBytes !== undefined) stream.write(body);
    else stream.end(body);
  });
}

/** The envelope frames of a gRPC, gRPC-Web or Connect streaming body. */
export function frames(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** One enveloped message frame (flags 0). */
export function envelope(data: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  out.set(data, 5);
  return out;
}

/**
 * The error code an answer carries, read the way `protocol` carries it (REST and
 * Connect unary: the JSON body's `code`; Connect streaming: the end-stream
 * frame; gRPC: `grpc-status` in headers or trailers; gRPC-Web: in headers or
 * the trailer frame), `"ok"` when none, or `http <status>` for an answer that
 * is none of these (for example 415 with no body).
 */
export function answerCode(protocol: RpcProtocol | "rest", answer: RawAnswer): string {
  const text = answer.body.toString("utf8");
  if (protocol === "rest" || protocol === "connect-unary") {
    if (answer.status === 200) return "ok";
    try {
      return String((JSON.parse(text) as { code?: string }).code);
    } catch {
      return `http ${answer.status}`;
    }
  }
  if (answer.status !== 200) return `http ${answer.status}`;
  if (protocol === "connect-stream") {
    const end = frames(answer.body).find((f) => (f.flags & 0b10) !== 0);
    const error = end ? (JSON.parse(end.data.toString()) as { error?: { code?: string } }).error : undefined;
    return error?.code ?? "ok";
  }
  let status = answer.headers["grpc-status"] ?? answer.trailers["grpc-status"];
  if (status === undefined && protocol === "grpc-web") {
    const trailer = frames(answer.body).find((f) => (f.flags & 0x80) !== 0);
    status = /grpc-status: ?(\d+)/i.exec(trailer?.data.toString() ?? "")?.[1];
  }
  if (status === undefined) return "no status";
  const code = Number(status);
  return code === 0 ? "ok" : codeToString(code as Code);
}
