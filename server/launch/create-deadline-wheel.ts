/** Deadlines of many waits on one timer. */
export interface DeadlineWheel {
  /**
   * Calls `onExpire` once `delayMs` has passed (at most `tickMs` late), unless
   * the returned cancel is called first. Cancelling twice, or after it fired,
   * does nothing.
   */
  add(delayMs: number, onExpire: () => void): () => void;
  /** Waits registered and not yet fired or cancelled. */
  readonly size: number;
  /** Drops every wait without firing it, and the timer. */
  close(): void;
}

export interface DeadlineWheelOptions {
  /** Granularity: deadlines are rounded up to a multiple of it. Default 10 ms. */
  tickMs?: number;
  /** Clock, in milliseconds (monotonic). Default `performance.now`. */
  now?: () => number;
}

/**
 * One shared timer for the deadlines of the launches, stops and messages in
 * flight, instead of a timer (and an `AbortSignal.timeout`) per command:
 * deadlines are kept in buckets of `tickMs`, and one unref'd timeout is armed
 * for the earliest bucket. Adding and cancelling are O(1); a fired bucket
 * calls its waits in the order they were added.
 */
export function createDeadlineWheel(options: DeadlineWheelOptions = {}): DeadlineWheel {
  const tickMs = options.tickMs ?? 10;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<number, Set<() => void>>();
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  let armedFor = Number.POSITIVE_INFINITY;

  function arm(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of buckets.keys()) if (slot < earliest) earliest = slot;
    if (earliest === armedFor) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    armedFor = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    timer = setTimeout(fire, Math.max(0, earliest * tickMs - now()));
    timer.unref();
  }

  function fire(): void {
    timer = undefined;
    armedFor = Number.POSITIVE_INFINITY;
    const due = Math.floor(now() / tickMs);
    for (const [slot, waits] of [...buckets]) {
      if (slot > due) continue;
      buckets.delete(slot);
      for (const wait of waits) {
        size--;
        wait();
      }
    }
    arm();
  }

  return {
    add(delayMs, onExpire) {
      const slot = Math.ceil((now() + Math.max(0, delayMs)) / tickMs);
      let waits = buckets.get(slot);
      if (waits === undefined) {
        waits = new Set();
        buckets.set(slot, waits);
      }
      // A function of its own, so one callback added twice is two waits.
      const wait = () => onExpire();
      waits.add(wait);
      size++;
      if (slot < armedFor) arm();
      return () => {
        const current = buckets.get(slot);
        if (current?.delete(wait) !== true) return;
        size--;
        if (current.size === 0) {
          buckets.delete(slot);
          if (slot === armedFor) arm();
        }
      };
    },
    get size() {
      return size;
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      armedFor = Number.POSITIVE_INFINITY;
      buckets.clear();
      size = 0;
    },
  };
}
