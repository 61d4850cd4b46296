import { createKeyLock } from "../launch/create-key-lock.js";
import type { SessionRecord } from "../store/store.js";

/**
 * The sessions' move queue in this process: moves of one session run one
 * after another, and while moves of a session are queued the queue keeps the
 * copy this process last wrote, so a move that comes with a copy of its own
 * (the ack that waited for the dispatch's write) plans on the newer one.
 */
export interface MoveQueue {
  /** Runs `fn` once the session's earlier moves here are done. */
  run<T>(sessionId: string, fn: () => Promise<T>): Promise<T>;
  /** A move of the session was written: kept while its moves are queued. */
  wrote(session: SessionRecord): void;
  /** `known`, or the copy written here since, while moves of it are queued. */
  newest(known: SessionRecord): SessionRecord;
}

export function createMoveQueue(): MoveQueue {
  const lock = createKeyLock();
  /** How many moves of a session are queued or running. */
  const queued = new Map<string, number>();
  const written = new Map<string, SessionRecord>();
  return {
    run(sessionId, fn) {
      queued.set(sessionId, (queued.get(sessionId) ?? 0) + 1);
      return lock.acquire(sessionId).then(async (release) => {
        try {
          return await fn();
        } finally {
          const left = (queued.get(sessionId) ?? 1) - 1;
          if (left > 0) queued.set(sessionId, left);
          else {
            queued.delete(sessionId);
            written.delete(sessionId);
          }
          release();
        }
      });
    },
    wrote(session) {
      if (queued.has(session.sessionId)) written.set(session.sessionId, session);
    },
    newest(known) {
      return written.get(known.sessionId) ?? known;
    },
  };
}
