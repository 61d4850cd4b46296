import type { Backplane } from "./backplane.js";

/** The backplane of a single process: every stream, waiter and follower is local, so there is nothing to tell. */
export function createLocalBackplane(): Backplane {
  const started = Promise.resolve();
  return {
    replicaId: "local",
    on() {},
    start: () => started,
    async hold() {},
    async release() {
      return true;
    },
    async online() {
      return new Map();
    },
    async route() {},
    async acked() {},
    async appended() {},
    async close() {},
  };
}
