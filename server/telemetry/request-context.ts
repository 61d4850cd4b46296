import { randomUUID } from "node:crypto";
import { createContextKey } from "@connectrpc/connect";
import type { NodeRequest } from "../rpc/node-handler.js";

/** What the server knows about a call before any interceptor runs. */
export interface CallInfo {
  /** From the caller's `x-request-id` header when it is usable, else a new UUID; echoed in the response. */
  requestId: string;
  /** "1.1" or "2.0". */
  httpVersion: string;
  /** "rest" for the REST routes; otherwise told from the content type by the interceptor. */
  protocol?: string;
}

/** Context key of a call's `CallInfo` (set by the app's `contextValues`). */
export const kCallInfo = createContextKey<CallInfo | undefined>(undefined, { description: "call info" });

const byRequest = new WeakMap<NodeRequest, string>();
const usable = /^[\w.:@/+=-]{1,128}$/;

/**
 * The request id of an HTTP request: its `x-request-id` header when that is 1
 * to 128 characters of letters, digits and `_ . : @ / + = -`, else a new UUID.
 * The same request always gets the same id.
 */
export function requestIdOf(req: NodeRequest): string {
  let id = byRequest.get(req);
  if (id === undefined) {
    const given = req.headers["x-request-id"];
    id = typeof given === "string" && usable.test(given) ? given : randomUUID();
    byRequest.set(req, id);
  }
  return id;
}
