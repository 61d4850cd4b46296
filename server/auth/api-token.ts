import * as crypto from "node:crypto";
import type { TokenKind } from "../store/store.js";

/** Prefix of every token of a kind, so a leaked token says what it is. */
export const tokenPrefix: Readonly<Record<TokenKind, string>> = { api: "wsa_", machine: "wsm_" };

/** Longest token `parseBearer` accepts. Real tokens are 47 characters. */
export const maxTokenLength = 512;

export interface GeneratedToken {
  /** The plain token, shown once to whoever created it and never stored. */
  token: string;
  /** Public id of the token (`tok_` + 12 hex characters), used to list and revoke it. */
  tokenId: string;
  /** SHA-256 of `token`, lower-case hex: what the store keeps. */
  hashHex: string;
}

/**
 * A new random token: the kind's prefix (`wsa_` for API tokens, `wsm_` for
 * machine tokens) followed by 32 random bytes in base64url.
 */
export function generateToken(kind: TokenKind): GeneratedToken {
  const token = tokenPrefix[kind] + crypto.randomBytes(32).toString("base64url");
  const tokenId = `tok_${crypto.randomBytes(6).toString("hex")}`;
  return { token, tokenId, hashHex: hashToken(token) };
}

// One-shot hashing (Node 20.12+) is a third of `createHash` for a token: it runs on every call.
const oneShotHash = typeof crypto.hash === "function" ? crypto.hash : undefined;

/** SHA-256 of a plain token, lower-case hex. */
export function hashToken(token: string): string {
  return oneShotHash ? oneShotHash("sha256", token, "hex") : crypto.createHash("sha256").update(token, "utf8").digest("hex");
}

// "Bearer" in any case, exactly one space, then one token of visible ASCII
// (no spaces, no control characters). Header values reach us already trimmed.
const bearerPattern = new RegExp(`^[Bb][Ee][Aa][Rr][Ee][Rr] ([\\x21-\\x7e]{1,${maxTokenLength}})$`);

/**
 * The token of an `Authorization: Bearer <token>` header value, or undefined
 * when the value is absent or not exactly that shape.
 */
export function parseBearer(headerValue: string | null | undefined): string | undefined {
  if (headerValue == null || headerValue.length > maxTokenLength + 7) return undefined;
  return bearerPattern.exec(headerValue)?.[1];
}

/** Whether a string looks like a token we issue (as opposed to a token id). */
export function looksLikeToken(value: string): boolean {
  return value.startsWith(tokenPrefix.api) || value.startsWith(tokenPrefix.machine);
}
