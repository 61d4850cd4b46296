import { createSessionEventBus, type SessionEventBus } from "../../../server/sessions/create-session-event-bus.js";
import { createSessionLifecycle, type SessionLifecycle } from "../../../server/sessions/create-session-lifecycle.js";
import { createSessionReader, type SessionReader } from "../../../server/sessions/create-session-reader.js";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { NewSessionEvent, SessionEventRecord, SessionRecord, Store } from "../../../server/store/store.js";
import { event, session } from "../store/store-contract-fixtures.js";

/**
 * Shared fixtures of the sessions room's tests: a real in-memory SQLite store
 * with workspace `ws-1` (machines `m-1`, its default, and `m-2`) and `ws-2`
 * (machine `m-3`), and the real bus, lifecycle and reader on it. Sessions and
 * events take the store contract's defaults (`ws-1`, `m-1`, `pending`).
 */
export interface SessionRoom {
  store: Store;
  events: SessionEventBus;
  lifecycle: SessionLifecycle;
  reader: SessionReader;
  /** The lifecycle's clock: every move is stamped with this time. */
  now: number;
}

export const moveTime = 5_000;

export async function openSessionRoom(): Promise<SessionRoom> {
  const store = createSqliteStore({ path: ":memory:" });
  await store.migrate();
  await store.createWorkspace("ws-1", 1);
  await store.createWorkspace("ws-2", 1);
  await store.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
  await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 1 });
  await store.createMachine({ machineId: "m-3", workspaceId: "ws-2", makeDefault: true, now: 1 });
  const events = createSessionEventBus({ store });
  const lifecycle = createSessionLifecycle({ store, events, now: () => moveTime });
  return { store, events, lifecycle, reader: createSessionReader({ store, events }), now: moveTime };
}

/** Stores a session and returns it. */
export async function storeSession(store: Store, init: Partial<SessionRecord> & { sessionId: string }): Promise<SessionRecord> {
  const record = session(init);
  await store.createSession(record);
  return record;
}

/** Appends events of these (type, state) pairs straight to the store, in order. */
export async function storeHistory(store: Store, sessionId: string, steps: readonly (readonly [string, NewSessionEvent["state"]])[]): Promise<void> {
  for (const [type, state] of steps) await store.appendSessionEvent(event(sessionId, { type, state }));
}

/** A finished session's history: launched, acknowledged, ran and exited. */
export const finishedRun = [
  ["accepted", "pending"],
  ["dispatched", "dispatched"],
  ["acknowledged", "running"],
  ["running", "running"],
  ["exited", "exited"],
] as const;

/** The (sequence, type, state) of events, to compare histories in one line. */
export function steps(records: readonly SessionEventRecord[]): [number, string, string][] {
  return records.map((r) => [r.sequence, r.type, r.state]);
}

/** The session's whole stored history as (sequence, type, state). */
export async function historyOf(store: Store, sessionId: string): Promise<[number, string, string][]> {
  return steps(await store.listSessionEvents(sessionId, 0));
}

/** Every value of an async iterable. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of source) values.push(value);
  return values;
}

/**
 * Reads `source` in the background into `values`; `until(n)` resolves once
 * `n` values have arrived (or the source ended), `done` when it ends.
 */
export function reader<T>(source: AsyncIterable<T>): { values: T[]; until(n: number): Promise<T[]>; done: Promise<T[]> } {
  const values: T[] = [];
  const waiters: { n: number; wake: () => void }[] = [];
  let ended = false;
  const wakeUp = () => {
    for (const w of [...waiters]) {
      if (ended || values.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.wake();
      }
    }
  };
  const done = (async () => {
    try {
      for await (const value of source) {
        values.push(value);
        wakeUp();
      }
    } finally {
      ended = true;
      wakeUp();
    }
    return values;
  })();
  done.catch(() => {});
  return {
    values,
    done,
    until(n) {
      if (ended || values.length >= n) return Promise.resolve(values);
      return new Promise((resolve) => waiters.push({ n, wake: () => resolve(values) }));
    },
  };
}
