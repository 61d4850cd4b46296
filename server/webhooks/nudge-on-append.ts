import type { Backplane } from "../hub/backplane.js";

/**
 * The backplane with `nudge` called whenever an event is stored: on this
 * replica (the event bus announces every append through `appended`) and on
 * the others (their announcements, and a resync after missed ones). Every
 * other member is the backplane's own. A nudge only says "look now": the
 * deliveries are in the store either way.
 */
export function nudgeOnAppend(backplane: Backplane, nudge: () => void): Backplane {
  backplane.on({ event: () => nudge(), resync: () => nudge() });
  return Object.create(backplane, {
    appended: {
      value(sessionId: string, sequence: number): Promise<void> {
        nudge();
        return backplane.appended(sessionId, sequence);
      },
    },
  }) as Backplane;
}
