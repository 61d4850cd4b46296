import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionEventRecord, SessionRecord, SessionStateName, Store } from "../store/store.js";
import type { SessionEventBus } from "./create-session-event-bus.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { isTerminalEvent, isTerminalState } from "./session-transitions.js";
import { type WorkspaceSessionChange, watchWorkspaceSessions } from "./watch-workspace-sessions.js";

/** One page of a workspace's sessions, newest first. */
export interface SessionPage {
  sessions: SessionRecord[];
  /** The token of the next page; "" on the last one. */
  nextPageToken: string;
}

/** One page of a session's transcript, oldest first. */
export interface TranscriptPage {
  events: SessionEventRecord[];
  /** More entries lie past the page in the direction of paging. */
  hasMore: boolean;
  /** The session's newest sequence of any event. */
  lastSequence: number;
}

/** Default page size of `messages` when the caller gives none. */
export const defaultMessagesPageSize = 100;

/**
 * What callers read of sessions: one session, a page of a workspace's
 * sessions, and a session's history followed live. Every read is scoped to a
 * workspace: a session of another workspace is `not_found`, like one that does
 * not exist.
 */
export interface SessionReader {
  get(workspaceId: string, sessionId: string, signal: AbortSignal): Promise<SessionRecord>;
  list(
    query: { workspaceId: string; pageSize: number; pageToken: string; state?: SessionStateName | undefined; machineId: string },
    signal: AbortSignal,
  ): Promise<SessionPage>;
  /**
   * The session's events after `afterSequence`, stored then live, with no gap
   * and no duplicate, ending after the terminal one (at once, for a finished
   * session, after its stored history).
   */
  watch(workspaceId: string, sessionId: string, afterSequence: number, signal: AbortSignal): Promise<AsyncIterable<SessionEventRecord>>;
  /** Every session of the workspace as it changes, after a first `resync` (see `watchWorkspaceSessions`). */
  watchWorkspace(workspaceId: string, signal: AbortSignal): AsyncIterable<WorkspaceSessionChange>;
  /** A page of the session's transcript events in (afterSequence, beforeSequence), the oldest or (backward) the newest of the range. */
  messages(
    workspaceId: string,
    sessionId: string,
    query: { afterSequence: number; beforeSequence: number; pageSize: number; backward: boolean },
    signal: AbortSignal,
  ): Promise<TranscriptPage>;
}

/** Default page size of `list` when the caller gives none. */
export const defaultPageSize = 50;

export function createSessionReader(options: { store: Store; events: SessionEventBus }): SessionReader {
  const { store, events } = options;

  async function get(workspaceId: string, sessionId: string, signal: AbortSignal): Promise<SessionRecord> {
    const session = await store.getSession(workspaceId, sessionId, signal);
    if (!session) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return session;
  }

  async function* followUntilTerminal(sessionId: string, after: number, signal: AbortSignal): AsyncGenerator<SessionEventRecord> {
    for await (const record of events.follow(sessionId, after, signal)) {
      yield record;
      if (!isTerminalEvent(record) || signal.aborted) continue;
      // The end of an earlier run of a reused session: the new run's `accepted` event comes after it.
      const later = await store.listSessionEvents(sessionId, record.sequence, signal);
      if (!later.some((e) => e.type === "accepted")) return;
    }
  }

  return {
    get,
    async list(query, signal) {
      const limit = query.pageSize || defaultPageSize;
      const after = query.pageToken ? decodePageToken(query.pageToken) : undefined;
      const rows = await store.listSessions(
        {
          workspaceId: query.workspaceId,
          limit: limit + 1,
          ...(query.state ? { state: query.state } : {}),
          ...(query.machineId ? { machineId: query.machineId } : {}),
          ...(after ? { after } : {}),
        },
        signal,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { sessions: page, nextPageToken: rows.length > limit && last ? encodePageToken(last) : "" };
    },
    async watch(workspaceId, sessionId, afterSequence, signal) {
      const session = await get(workspaceId, sessionId, signal);
      if (!isTerminalState(session.state)) return followUntilTerminal(session.sessionId, afterSequence, signal);
      const history = await store.listSessionEvents(session.sessionId, afterSequence, signal);
      return (async function* () {
        yield* history;
      })();
    },
    watchWorkspace(workspaceId, signal) {
      return watchWorkspaceSessions({ store, events }, workspaceId, signal);
    },
    async messages(workspaceId, sessionId, query, signal) {
      const session = await get(workspaceId, sessionId, signal);
      const limit = query.pageSize || defaultMessagesPageSize;
      const { afterSequence, beforeSequence, backward } = query;
      const page = await store.listTranscript(
        { sessionId: session.sessionId, afterSequence, beforeSequence, backward, limit: limit + 1 },
        signal,
      );
      const hasMore = page.events.length > limit;
      const events = !hasMore ? page.events : backward ? page.events.slice(1) : page.events.slice(0, limit);
      return { events, hasMore, lastSequence: page.lastSequence };
    },
  };
}
