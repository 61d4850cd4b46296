import type { Backplane } from "../hub/backplane.js";
import { createAsyncQueue } from "../hub/create-async-queue.js";
import { createLocalBackplane } from "../hub/create-local-backplane.js";
import type { NewSessionEvent, SessionEventRecord, Store, TranscriptAppend, TranscriptAppended } from "../store/store.js";

/**
 * A session's history: every state change is appended to the store (which
 * assigns the sequence) and published to its followers, on this replica
 * directly and on others through the backplane.
 */
export interface SessionEventBus {
  /** Stores the event and publishes it; resolves with its sequence and time. */
  append(event: NewSessionEvent, signal?: AbortSignal): Promise<SessionEventRecord>;
  /** Publishes an event already stored (by `store.moveSession`, with the row it goes with). */
  publish(record: SessionEventRecord): void;
  /**
   * Stores transcript entries (see `Store.appendTranscript`) and publishes
   * the events stored, like `append`; undefined when the machine has no such session.
   */
  appendTranscript(append: TranscriptAppend, signal?: AbortSignal): Promise<TranscriptAppended | undefined>;
  /**
   * The session's events after `afterSequence`: first those stored, then live
   * ones, in order, with no gap and no duplicate. Ends when `signal` aborts;
   * the caller decides when a terminal event ends its interest.
   */
  follow(sessionId: string, afterSequence: number, signal: AbortSignal): AsyncIterable<SessionEventRecord>;
  /**
   * Calls `listener` with the session id of every state event stored here
   * (transcript entries left out) and every event announced by another
   * replica (whatever its kind: announcements say only which session), and
   * with `undefined` when announcements may have been missed (the backplane
   * resynced): then any session may have changed. Nothing is read for it;
   * the listener reads what it needs. Returns the unsubscribe function.
   */
  onChange(listener: (sessionId: string | undefined) => void): () => void;
}

export interface SessionEventBusOptions {
  store: Store;
  /** Where events appended on other replicas are announced. Default: one process. */
  backplane?: Backplane;
  /** Told about a failed announcement (followers elsewhere catch up on the next one). Default: stderr. */
  log?: (message: string, error?: unknown) => void;
}

/** A follower's inbox: an event published here, or word that the store holds newer ones. */
type Delivery = SessionEventRecord | "catch-up";

export function createSessionEventBus(options: SessionEventBusOptions): SessionEventBus {
  const { store } = options;
  const backplane = options.backplane ?? createLocalBackplane();
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const followers = new Map<string, Set<(delivery: Delivery) => void>>();
  const changeListeners = new Set<(sessionId: string | undefined) => void>();
  const changed = (sessionId: string | undefined) => {
    for (const listener of changeListeners) listener(sessionId);
  };

  backplane.on({
    event(sessionId) {
      const set = followers.get(sessionId);
      if (set) for (const deliver of set) deliver("catch-up");
      changed(sessionId);
    },
    resync() {
      for (const set of followers.values()) for (const deliver of set) deliver("catch-up");
      changed(undefined);
    },
  });

  /** Hands stored events to this replica's followers and announces the last one to the others. */
  function publishAll(sessionId: string, records: readonly SessionEventRecord[]): void {
    const set = followers.get(sessionId);
    if (set) for (const record of records) for (const deliver of set) deliver(record);
    if (changeListeners.size > 0 && records.some((r) => r.type !== "transcript")) changed(sessionId);
    const last = records[records.length - 1]!;
    backplane.appended(sessionId, last.sequence).catch((error: unknown) => log(`announcing an event of session ${sessionId} failed`, error));
  }

  return {
    async append(event, signal) {
      const record = await store.appendSessionEvent(event, signal);
      publishAll(event.sessionId, [record]);
      return record;
    },

    publish(record) {
      publishAll(record.sessionId, [record]);
    },

    async appendTranscript(append, signal) {
      const result = await store.appendTranscript(append, signal);
      if (result && result.appended.length > 0) publishAll(append.sessionId, result.appended);
      return result;
    },

    onChange(listener) {
      // A wrapper per call, so the same function subscribed twice is two subscriptions.
      const entry = (sessionId: string | undefined) => listener(sessionId);
      changeListeners.add(entry);
      return () => changeListeners.delete(entry);
    },

    async *follow(sessionId, afterSequence, signal) {
      const live = createAsyncQueue<Delivery>(signal);
      let set = followers.get(sessionId);
      if (!set) {
        set = new Set();
        followers.set(sessionId, set);
      }
      const deliver = (delivery: Delivery) => live.push(delivery);
      set.add(deliver);
      try {
        // Subscribed before reading the history, so nothing falls between the two.
        let last = afterSequence;
        for (const event of await store.listSessionEvents(sessionId, afterSequence, signal)) {
          last = event.sequence;
          yield event;
        }
        for await (const delivery of live) {
          if (delivery !== "catch-up" && delivery.sequence === last + 1) {
            last = delivery.sequence;
            yield delivery;
            continue;
          }
          if (delivery !== "catch-up" && delivery.sequence <= last) continue;
          // Announced from elsewhere, or a gap: the store has the events in order.
          for (const event of await store.listSessionEvents(sessionId, last, signal)) {
            last = event.sequence;
            yield event;
          }
        }
      } finally {
        live.close();
        set.delete(deliver);
        if (set.size === 0) followers.delete(sessionId);
      }
    },
  };
}
