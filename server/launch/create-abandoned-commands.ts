import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { SessionRecord, Store } from "../store/store.js";

/**
 * Launch commands whose caller was told the launch failed while the store
 * could not record that (a full disk, a lost database): their command row
 * still waits for an acknowledgement, so a daemon's retried one would be
 * taken as the first and start the session behind an error answer. Each
 * is expired, and its session failed, before anything else is recorded about
 * it: `settleFirst` at the next acknowledgement of the command, and a retry
 * every `retryMs` until the store takes it. Held in memory: a server
 * restarted meanwhile leaves them to the reconciler, which expires the
 * command at its deadline.
 */
export interface AbandonedCommands {
  /** Remembers a command whose launch was answered with an error (`message`) the store did not take. */
  add(commandId: string, session: SessionRecord, message: string): void;
  /** Records the expiry of `commandId` first when it is abandoned here; rejects with the store's error while it cannot. */
  settleFirst(commandId: string): Promise<void>;
  /** How many wait for the store. */
  readonly size: number;
  /** Stops retrying. */
  close(): void;
}

export interface AbandonedCommandsOptions {
  store: Store;
  lifecycle: SessionLifecycle;
  log: (message: string, error?: unknown) => void;
  now: () => number;
  /** Time between retries while some wait. Default 1 000 ms. */
  retryMs?: number;
}

export function createAbandonedCommands(options: AbandonedCommandsOptions): AbandonedCommands {
  const { store, lifecycle, log, now } = options;
  const retryMs = options.retryMs ?? 1_000;
  const waiting = new Map<string, { session: SessionRecord; message: string }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  async function settle(commandId: string): Promise<void> {
    const entry = waiting.get(commandId);
    if (entry === undefined) return;
    const settled = await store.expireCommand(commandId, now());
    if (settled?.expired) await lifecycle.failed(entry.session, entry.message);
    else if (settled?.command.ackPayload !== undefined) {
      log(`command ${commandId} was acknowledged before its abandonment could be recorded`);
    }
    waiting.delete(commandId);
  }

  function schedule(): void {
    if (closed || timer !== undefined || waiting.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void retry();
    }, retryMs);
    timer.unref();
  }

  async function retry(): Promise<void> {
    for (const commandId of [...waiting.keys()]) {
      try {
        await settle(commandId);
      } catch {
        break; // the store still refuses: try again later
      }
    }
    schedule();
  }

  return {
    add(commandId, session, message) {
      waiting.set(commandId, { session, message });
      log(`launch ${session.sessionId} failed and the store could not record it: it is expired once the store takes writes`);
      schedule();
    },
    settleFirst: settle,
    get size() {
      return waiting.size;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
