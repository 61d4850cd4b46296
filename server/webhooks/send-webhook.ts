import { signWebhook } from "./sign-webhook.js";
import type { WebhookAttemptOutcome } from "./webhook-retry-policy.js";

export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  body: string;
  /** Unix ms of this attempt: its `Webhook-Timestamp` (in seconds). */
  now: number;
  /** How long to wait for the answer's status. */
  timeoutMs: number;
  /** Aborts the attempt (the server is closing). */
  signal: AbortSignal;
  /** The `User-Agent` header. */
  userAgent: string;
}

/**
 * Makes one attempt: an HTTP POST of `body` with `Webhook-Id`,
 * `Webhook-Timestamp` and `Webhook-Signature`, redirects not followed. The
 * outcome is the answer's status (its body is discarded), or status 0 and why
 * there was none (`timeout`, `connection refused`, …); never a secret. Throws
 * only when `signal` aborted it.
 */
export async function sendWebhook(req: WebhookRequest): Promise<WebhookAttemptOutcome> {
  const timestamp = String(Math.floor(req.now / 1000));
  const attempt = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    attempt.abort();
  }, req.timeoutMs);
  const onAbort = () => attempt.abort();
  req.signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (req.signal.aborted) throw req.signal.reason;
    const res = await fetch(req.url, {
      method: "POST",
      redirect: "manual",
      signal: attempt.signal,
      headers: {
        "content-type": "application/json",
        "user-agent": req.userAgent,
        "webhook-id": req.deliveryId,
        "webhook-timestamp": timestamp,
        "webhook-signature": signWebhook(req.secret, timestamp, req.body),
      },
      body: req.body,
    });
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { statusCode: res.status, error: ok ? "" : `HTTP ${res.status}` };
  } catch (err) {
    if (req.signal.aborted) throw req.signal.reason;
    return { statusCode: 0, error: timedOut ? "timeout" : describeFetchError(err) };
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener("abort", onAbort);
  }
}

const causes: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  UND_ERR_SOCKET: "connection closed",
};

/** A short reason for a request that got no answer, without the URL. */
function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? "";
  if (code in causes) return causes[code]!;
  if (code.startsWith("ERR_TLS") || code.includes("CERT")) return `TLS error (${code})`;
  return code ? `request failed (${code})` : "request failed";
}
