import type { NewSessionEvent, SessionEventRecord, Store } from "../store/store.js";
import { createAsyncQueue } from "../hub/create-async-queue.js";

/**
 * A session's history: every state change is appended to the store (which
 * assigns the sequence) and published to the followers in this process.
 */
export interface SessionEventBus {
  /** Stores the event and publishes it; resolves with its sequence and time. */
  append(event: NewSessionEvent, signal?: AbortSignal): Promise<SessionEventRecord>;
  /**
   * The session's events after `afterSequence`: first those stored, then live
   * ones, with no gap and no duplicate. Ends when `signal` aborts; the caller
   * decides when a terminal event ends its interest.
   */
  follow(sessionId: string, afterSequence: number, signal: AbortSignal): AsyncIterable<SessionEventRecord>;
}

export function createSessionEventBus(store: Store): SessionEventBus {
  const followers = new Map<string, Set<(event: SessionEventRecord) => void>>();

  return {
    async append(event, signal) {
      const record = await store.appendSessionEvent(event, signal);
      const set = followers.get(event.sessionId);
      if (set) for (const deliver of set) deliver(record);
      return record;
    },
    async *follow(sessionId, afterSequence, signal) {
      const live = createAsyncQueue<SessionEventRecord>(signal);
      let set = followers.get(sessionId);
      if (!set) {
        set = new Set();
        followers.set(sessionId, set);
      }
      const deliver = (event: SessionEventRecord) => live.push(event);
      set.add(deliver);
      try {
        // Subscribed before reading the history, so nothing falls between the two.
        let last = afterSequence;
        for (const event of await store.listSessionEvents(sessionId, afterSequence, signal)) {
          last = event.sequence;
          yield event;
        }
        for await (const event of live) {
          if (event.sequence <= last) continue;
          last = event.sequence;
          yield event;
        }
      } finally {
        live.close();
        set.delete(deliver);
        if (set.size === 0) followers.delete(sessionId);
      }
    },
  };
}
