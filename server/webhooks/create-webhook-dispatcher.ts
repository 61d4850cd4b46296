import { randomUUID } from "node:crypto";
import type { Backplane } from "../hub/backplane.js";
import type { ClaimedWebhookDelivery, Store, WebhookAttempt } from "../store/store.js";
import { nudgeOnAppend } from "./nudge-on-append.js";
import { sendWebhook } from "./send-webhook.js";
import { webhookEventBody } from "./webhook-messages.js";
import { defaultWebhookRetryPolicy, webhookAttemptRecord, type WebhookRetryPolicy } from "./webhook-retry-policy.js";

export interface WebhookDispatcherOptions {
  store: Store;
  /** Where failures are told (never with a URL or a secret). */
  log: (message: string, error?: unknown) => void;
  /** Backoff, retry window and attempt timeout; each field defaults as `defaultWebhookRetryPolicy`. */
  policy?: Partial<WebhookRetryPolicy>;
  /** Longest wait between two looks at the store (for retries due from other replicas, lapsed claims). Default 2 000 ms. */
  pollMs?: number;
  /** Shortest time between two looks, however often it is nudged. Default 50 ms. */
  minIntervalMs?: number;
  /** Attempts in flight at once. Default 16. */
  concurrency?: number;
  /** How long a claim holds against other replicas. Default the attempt timeout + 30 s. */
  leaseMs?: number;
  /** `User-Agent` of the requests. Default `wsctl-webhooks`. */
  userAgent?: string;
  /** Told every attempt as recorded. */
  onAttempt?: (attempt: WebhookAttempt, delivery: ClaimedWebhookDelivery) => void;
  now?: () => number;
}

/**
 * Sends the deliveries the store holds (written with their events, see
 * `WebhookStore`): claims the due ones (a session's next only once the one
 * before it is settled), posts each signed, records the outcome, and retries
 * with the policy's backoff until its window ends. One timer drives it,
 * moved to the soonest of the next poll, a retry this replica scheduled, or
 * a nudge (an event was stored). Any number of replicas run one each on a
 * shared store: claims never overlap, and a replica that dies mid-attempt
 * leaves a claim that lapses and is taken again (at least once).
 */
export interface WebhookDispatcher {
  /** Looks for due deliveries now and from then on. */
  start(): void;
  /**
   * Starts, and returns `backplane` nudging it whenever an event is stored
   * on this replica or another (see `nudgeOnAppend`): what the app's event
   * bus is given.
   */
  watch(backplane: Backplane): Backplane;
  /** Looks soon: an event was stored, or an attempt settled. */
  nudge(): void;
  /**
   * Stops: no new claim; attempts in flight are aborted and their claims
   * released, so a restart sends them again at once. Resolves when done.
   */
  close(): Promise<void>;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, log } = options;
  const policy = { ...defaultWebhookRetryPolicy, ...options.policy };
  const pollMs = options.pollMs ?? 2_000;
  const minIntervalMs = options.minIntervalMs ?? 50;
  const concurrency = options.concurrency ?? 16;
  const leaseMs = options.leaseMs ?? policy.attemptTimeoutMs + 30_000;
  const userAgent = options.userAgent ?? "wsctl-webhooks";
  const now = options.now ?? Date.now;
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  /** Retries this replica scheduled, still ahead. */
  let retries: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let started = false;
  let ticking: Promise<void> | undefined;
  let again = false;
  let lastTickAt = Number.NEGATIVE_INFINITY;
  let claimFailing = false;
  let closed: Promise<void> | undefined;

  function schedule(at: number): void {
    if (!started || closing.signal.aborted) return;
    const when = Math.max(at, lastTickAt + minIntervalMs);
    if (timer !== undefined && timerAt <= when) return;
    clearTimeout(timer);
    timerAt = when;
    timer = setTimeout(tick, Math.max(0, when - now()));
    timer.unref();
  }

  function tick(): void {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    if (ticking) {
      again = true;
      return;
    }
    const at = now();
    lastTickAt = at;
    ticking = claimAndSend(at).finally(() => {
      ticking = undefined;
      // Retries due by the claim's time were looked for; later ones (even if due by now) are still ahead of it.
      retries = retries.filter((t) => t > at);
      schedule(again ? now() : retries.reduce((soonest, t) => Math.min(soonest, t), now() + pollMs));
      again = false;
    });
  }

  async function claimAndSend(at: number): Promise<void> {
    const free = concurrency - inFlight.size;
    if (free <= 0 || closing.signal.aborted) return;
    let claimed: ClaimedWebhookDelivery[];
    try {
      claimed = await store.claimWebhookDeliveries({ now: at, leaseUntil: at + leaseMs, limit: free, claimToken: randomUUID() });
      claimFailing = false;
    } catch (error) {
      // Told once per outage, not on every poll.
      if (!claimFailing && !closing.signal.aborted) log("claiming webhook deliveries failed", error);
      claimFailing = true;
      return;
    }
    for (const delivery of claimed) {
      const running = attempt(delivery).finally(() => {
        inFlight.delete(running);
        schedule(now());
      });
      inFlight.add(running);
    }
  }

  async function attempt(delivery: ClaimedWebhookDelivery): Promise<void> {
    const { deliveryId, webhookId } = delivery;
    try {
      const outcome = await sendWebhook({
        url: delivery.url,
        secret: delivery.secret,
        deliveryId,
        body: webhookEventBody(deliveryId, delivery.event),
        now: now(),
        timeoutMs: policy.attemptTimeoutMs,
        signal: closing.signal,
        userAgent,
      });
      const record = webhookAttemptRecord(delivery, outcome, now(), policy);
      if (!(await store.recordWebhookAttempt(record))) return;
      options.onAttempt?.(record, delivery);
      if (record.status === "pending") retries.push(record.nextAttemptAt);
      if (record.status === "failed") {
        log(`webhook ${webhookId}: delivery ${deliveryId} failed after ${delivery.attempts + 1} attempts (last: ${record.error})`);
      }
    } catch (error) {
      if (closing.signal.aborted) {
        await store.releaseWebhookClaim(deliveryId, delivery.claimToken).catch(() => undefined);
        return;
      }
      // Not recorded: the claim lapses and the delivery is attempted again.
      log(`webhook ${webhookId}: recording delivery ${deliveryId} failed`, error);
    }
  }

  function start(): void {
    if (started || closing.signal.aborted) return;
    started = true;
    schedule(now());
  }

  return {
    start,
    nudge() {
      schedule(now());
    },
    watch(backplane) {
      start();
      return nudgeOnAppend(backplane, () => schedule(now()));
    },
    close() {
      closed ??= (async () => {
        closing.abort(new Error("the server is closing"));
        clearTimeout(timer);
        timer = undefined;
        await ticking;
        await Promise.allSettled([...inFlight]);
      })();
      return closed;
    },
  };
}
