import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionRecord } from "../store/store.js";

/** The opaque token of the page after `last`: its (create time, id) position. */
export function encodePageToken(last: SessionRecord): string {
  return Buffer.from(JSON.stringify([last.createdAt, last.sessionId])).toString("base64url");
}

/** The position a page token stands for; `invalid_argument` for a token we did not make. */
export function decodePageToken(token: string): { createdAt: number; sessionId: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      return { createdAt: value[0], sessionId: value[1] };
    }
  } catch {
    // fall through
  }
  throw new ConnectError("page_token is not a token this server issued", Code.InvalidArgument);
}
