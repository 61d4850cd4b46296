import type { NodeResponse } from "../rpc/node-handler.js";
import { restErrorBody } from "./rest-error-body.js";

// What we use of both response classes, so calls need no overload juggling.
interface ResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

export const asResponseLike = (res: NodeResponse): ResponseLike => res as ResponseLike;

/** Copy headers (set by an implementation, or error metadata) onto the response. */
export function copyHeaders(res: NodeResponse, headers: Headers | undefined): void {
  if (headers === undefined) return;
  const r = asResponseLike(res);
  headers.forEach((value, key) => {
    if (key !== "set-cookie") r.setHeader(key, value);
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) r.setHeader("set-cookie", cookies);
}

/** Send a complete JSON response. */
export function writeJson(res: NodeResponse, status: number, json: string): void {
  const r = asResponseLike(res);
  r.statusCode = status;
  r.setHeader("content-type", "application/json");
  r.setHeader("content-length", Buffer.byteLength(json));
  r.end(json);
}

/**
 * Send `error` as a REST error response (see `restErrorBody`), with its metadata
 * and `headers` as response headers. `status` overrides the code's status (for
 * 405). Does nothing when the response has already started or the client left.
 */
export function writeRestError(res: NodeResponse, error: unknown, headers?: Headers, status?: number): void {
  const r = asResponseLike(res);
  if (r.headersSent || r.writableEnded || r.destroyed) return;
  const e = restErrorBody(error);
  copyHeaders(res, headers);
  copyHeaders(res, e.headers);
  writeJson(res, status ?? e.status, JSON.stringify(e.body));
}
