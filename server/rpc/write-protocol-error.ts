import type { ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, endStreamFlag, endStreamToJson, errorToJson } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import type { NodeRequest, NodeResponse } from "./node-handler.js";

/** The RPC protocols Connect's handler serves, as told by a request's `Content-Type`. */
export type RpcProtocol = "grpc" | "grpc-web" | "connect-stream" | "connect-unary";

/**
 * The protocol of a request bound for Connect's handler: `application/grpc-web…`
 * is gRPC-Web, `application/grpc…` gRPC, `application/connect+…` a Connect
 * streaming call, anything else a Connect unary call.
 */
export function rpcProtocolOf(req: NodeRequest): RpcProtocol {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  if (type.startsWith("application/connect+")) return "connect-stream";
  return "connect-unary";
}

// What we use of both response classes.
interface ResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  setHeader(name: string, value: string | number): unknown;
  end(chunk?: Uint8Array | string): unknown;
}

/**
 * Answers a call that never reached a handler (refused before its body was
 * read) with `error`, framed as its protocol frames errors, so every client
 * library reads the code and message:
 * - gRPC: HTTP 200, a trailers-only answer with `grpc-status` and `grpc-message`;
 * - gRPC-Web: HTTP 200 with one trailer frame in the body, as connect-node writes it;
 * - Connect streaming: HTTP 200 with one end-stream frame `{"error": {...}}`;
 * - Connect unary: the code's HTTP status and the Connect JSON error body.
 * The error's metadata (for example `retry-after`) goes out as headers. Does
 * nothing when the response has started or the client is gone.
 */
export function writeProtocolError(req: NodeRequest, res: NodeResponse, error: ConnectError): void {
  const r = res as unknown as ResponseLike;
  if (r.headersSent || r.writableEnded || r.destroyed) return;
  error.metadata.forEach((value, key) => {
    r.setHeader(key, value);
  });
  const protocol = rpcProtocolOf(req);
  const requested = String(req.headers["content-type"] ?? "");
  if (protocol === "grpc") {
    // Status 200 and no body: Node sends the headers with END_STREAM, a trailers-only answer.
    r.statusCode = 200;
    r.setHeader("content-type", /json/i.test(requested) ? "application/grpc+json" : "application/grpc+proto");
    setTrailerStatus(new Headers(), error).forEach((value, key) => {
      r.setHeader(key, value);
    });
    r.end();
    return;
  }
  if (protocol === "grpc-web") {
    r.statusCode = 200;
    r.setHeader("content-type", /json/i.test(requested) ? "application/grpc-web+json" : "application/grpc-web+proto");
    const trailer = trailerSerialize(setTrailerStatus(new Headers(), error));
    r.end(envelope(trailerFlag, trailer));
    return;
  }
  if (protocol === "connect-stream") {
    r.statusCode = 200;
    r.setHeader("content-type", /json/i.test(requested) ? "application/connect+json" : "application/connect+proto");
    const json = JSON.stringify(endStreamToJson(new Headers(), error, undefined));
    r.end(envelope(endStreamFlag, Buffer.from(json, "utf8")));
    return;
  }
  const body = JSON.stringify(errorToJson(error, undefined));
  r.statusCode = codeToHttpStatus(error.code);
  r.setHeader("content-type", "application/json");
  r.setHeader("content-length", Buffer.byteLength(body));
  r.end(body);
}

/** One enveloped frame: a flags byte, the length as a 32-bit big-endian integer, the data. */
function envelope(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  out.set(data, 5);
  return out;
}
