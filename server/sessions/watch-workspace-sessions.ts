import type { SessionRecord, Store } from "../store/store.js";
import type { SessionEventBus } from "./create-session-event-bus.js";

/** One message of a workspace watch: a session as it is now, or word to list them again. */
export type WorkspaceSessionChange = { kind: "session"; session: SessionRecord } | { kind: "resync" };

const resync: WorkspaceSessionChange = { kind: "resync" };

/**
 * Follows every session of `workspaceId` until `signal` aborts. First a
 * `resync` once subscribed to the bus, so a caller that lists the sessions
 * after it misses no change; then, for each session the bus says changed
 * (here or on another replica), the session as the store holds it now,
 * unless it belongs to another workspace or nothing a caller sees changed
 * since it was last sent (transcript growth and `update_time` alone are no
 * change). Notifications that arrive while a read is under way are
 * coalesced: each session is read once however many came for it, so a burst
 * costs one read per session, and a slow reader sees the latest state rather
 * than every intermediate one. `resync` again whenever the bus says
 * notifications may have been missed.
 */
export async function* watchWorkspaceSessions(
  deps: { store: Store; events: SessionEventBus },
  workspaceId: string,
  signal: AbortSignal,
): AsyncGenerator<WorkspaceSessionChange> {
  const dirty = new Set<string>();
  let needsResync = true;
  let wake: (() => void) | undefined;
  const rouse = () => {
    wake?.();
    wake = undefined;
  };
  const unsubscribe = deps.events.onChange((sessionId) => {
    if (sessionId === undefined) needsResync = true;
    else dirty.add(sessionId);
    rouse();
  });
  signal.addEventListener("abort", rouse);
  const sent = new Map<string, string>();
  try {
    while (!signal.aborted) {
      if (needsResync) {
        needsResync = false;
        dirty.clear();
        sent.clear();
        yield resync;
        continue;
      }
      const next = dirty.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      dirty.delete(next.value);
      const session = await deps.store.getSession(workspaceId, next.value, signal);
      if (session === undefined) continue;
      const seen = fingerprint(session);
      if (sent.get(session.sessionId) === seen) continue;
      sent.set(session.sessionId, seen);
      yield { kind: "session", session };
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", rouse);
  }
}

/** What a watcher of the list sees change: state, where and how it runs, how it ended, a stop. */
function fingerprint(s: SessionRecord): string {
  return JSON.stringify([
    s.state,
    s.machineId,
    s.pid,
    s.exitCode ?? null,
    s.errorMessage,
    s.agentSessionId,
    s.workDir,
    s.branch,
    s.acknowledgement?.status ?? "",
    s.stoppedBy ?? "",
    s.stopTime ?? 0,
    s.createdAt,
  ]);
}
