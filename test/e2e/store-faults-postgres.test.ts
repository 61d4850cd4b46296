import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll-until.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack, testEngine } from "./harness/start-stack.js";

// PostgreSQL's store fault is the database going away; the SQLite file's are in store-faults.test.ts.
const onSqlite = testEngine !== "postgres";
if (onSqlite) console.warn("[skip] PostgreSQL going away: the stack runs on SQLite (the e2e-postgres project runs it)");

/**
 * A TCP relay between the server and PostgreSQL that the test can cut (every
 * connection reset, new ones refused) and restore: the database going away
 * for this server alone, not for the other suites sharing the test server.
 */
async function startRelay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      up = false;
      for (const s of sockets) s.resetAndDestroy();
    },
    restore() {
      up = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let stack: Stack;
let relay: Awaited<ReturnType<typeof startRelay>>;
beforeAll(async () => {
  if (onSqlite) return;
  const { hostname, port } = new URL(process.env.WSCTL_TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test");
  relay = await startRelay({ host: hostname, port: Number(port || 5432) });
  stack = await startStack({
    serverDatabase: (database) => {
      const url = new URL(database);
      url.host = `127.0.0.1:${relay.port}`;
      return url.toString();
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await relay?.close();
});

const launch = () =>
  fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify(seedRequest({ initial_prompt: "exit:0:60000" })),
  });

describe.skipIf(onSqlite)("wsctl serve with its PostgreSQL gone", () => {
  it("answers launches unavailable and reports unready while the database is unreachable, and is ready again once it is back", async () => {
    expect((await launch()).status).toBe(200);
    relay.cut();
    const res = await launch();
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: "unavailable" });
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready" });
    relay.restore();
    await pollUntil(async () => (await fetch(`${stack.url}/readyz`)).status === 200, { timeoutMs: 15_000, intervalMs: 200, what: "/readyz to be ready again" });
  }, 60_000);
});
