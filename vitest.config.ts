import { defineConfig } from "vitest/config";

// Tests live in test/, mirroring server/ and client/. Suites that start real
// processes (servers, daemons, stand-in agents) need more than the default 5 s.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
