import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiToken } from "../../server/admin/create-api-token.js";
import { createMachine } from "../../server/admin/create-machine.js";
import { createWorkspace } from "../../server/admin/create-workspace.js";
import { makeSelfSigned, requireCommand } from "./transport/one-port-fixtures.js";

// The real store, app and listener, each wrapped to record when it opens and closes.
const events = vi.hoisted(() => [] as string[]);

vi.mock("../../server/store/open-store.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../server/store/open-store.js")>();
  return {
    ...real,
    async openStore(database: string) {
      const store = await real.openStore(database);
      events.push("store open");
      const close = store.close;
      store.close = async () => {
        events.push("store close");
        await close();
      };
      return store;
    },
  };
});

vi.mock("../../server/create-app.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../server/create-app.js")>();
  return {
    ...real,
    createApp(options: Parameters<typeof real.createApp>[0]) {
      const app = real.createApp(options);
      events.push("app create");
      return {
        ...app,
        close() {
          events.push("app close");
          app.close();
        },
        shutdown(shutdownOptions?: { graceMs?: number }) {
          events.push("app close");
          return app.shutdown(shutdownOptions);
        },
      };
    },
  };
});

vi.mock("../../server/transport/listen-one-port.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../server/transport/listen-one-port.js")>();
  return {
    ...real,
    async listenOnePort(options: Parameters<typeof real.listenOnePort>[0]) {
      const server = await real.listenOnePort(options);
      events.push("listen");
      return {
        ...server,
        async close(closeOptions?: { graceMs?: number }) {
          events.push("listener close");
          await server.close(closeOptions);
          events.push("listener closed");
        },
      };
    },
  };
});

// The unit project shares one module cache between files (isolate: false), so
// start-server may already be loaded with the real modules: load it afresh.
vi.resetModules();
const { normalizeOrigin, serverDefaults, startServer } = await import("../../server/start-server.js");

const quiet = { host: "127.0.0.1", port: 0, log: () => {} } as const;

async function rejectionOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }
  throw new Error("expected startServer to reject");
}

/** A port something else already listens on. */
async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  return {
    port: (blocker.address() as net.AddressInfo).port,
    release: () => new Promise((resolve) => blocker.close(() => resolve())),
  };
}

describe("startServer", () => {
  let dir: string;
  beforeEach(async () => {
    events.length = 0;
    dir = await mkdtemp(path.join(tmpdir(), "wsctl-start-server-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the API on 127.0.0.1:0 over an in-memory store that the admin functions share", async () => {
    const server = await startServer({ ...quiet, database: ":memory:" });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.port).toBeGreaterThan(0);
      expect((await fetch(`${server.url}/api/v1/machines`)).status).toBe(401);

      await createWorkspace(server.store, "acme");
      await createMachine(server.store, { machineId: "laptop", workspaceId: "acme" });
      const { token } = await createApiToken(server.store, { workspaceIds: ["acme"] });
      const res = await fetch(`${server.url}/api/v1/machines`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { machines: { machine_id: string; online?: boolean }[] };
      expect(body.machines.map((m) => [m.machine_id, m.online ?? false])).toEqual([["laptop", false]]);
    } finally {
      await server.close();
    }
  });

  it("closes the app, then the listener, then the store, once however often it is asked", async () => {
    const database = path.join(dir, "wsctl.db");
    const server = await startServer({ ...quiet, database });
    expect(events).toEqual(["listen", "store open", "app create"]);
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(events).toEqual(["listen", "store open", "app create", "app close", "listener close", "listener closed", "store close"]);
    await expect(fetch(`${server.url}/api/v1/machines`)).rejects.toThrow();
    // SQLite removes the WAL file when its last connection closes.
    expect(existsSync(database)).toBe(true);
    expect(existsSync(`${database}-wal`)).toBe(false);
  });

  it("creates nothing when it cannot listen, and says why with the errno", async () => {
    const blocker = await occupiedPort();
    const database = path.join(dir, "wsctl.db");
    try {
      const error = await rejectionOf(startServer({ ...quiet, port: blocker.port, database }));
      expect(error.code).toBe(Code.Unavailable);
      expect(error.rawMessage).toBe(
        `cannot listen on 127.0.0.1:${blocker.port}: the address is already in use (EADDRINUSE): another process listens there`,
      );
      expect(events).toEqual([]);
      expect(existsSync(database)).toBe(false);
    } finally {
      await blocker.release();
    }
  });

  it("refuses an unreadable TLS file before it opens the store", async () => {
    const database = path.join(dir, "wsctl.db");
    const missing = path.join(dir, "missing.pem");
    const error = await rejectionOf(startServer({ ...quiet, database, tls: { certPath: missing, keyPath: missing } }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(`--tls-cert ${missing}: cannot read the file (no such file)`);
    expect(events).toEqual([]);
    expect(existsSync(database)).toBe(false);
  });

  it("refuses a malformed CORS origin before it opens anything", async () => {
    const error = await rejectionOf(startServer({ ...quiet, database: ":memory:", corsOrigins: ["not an origin"] }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(() => normalizeOrigin("not an origin")).toThrow();
    expect(error.rawMessage).toMatch(/^corsOrigins: /);
    expect(events).toEqual([]);
  });

  it("says when the database cannot be opened", async () => {
    // Nothing listens on port 1: the PostgreSQL store cannot connect.
    const error = await rejectionOf(startServer({ ...quiet, database: "postgres://u:secret@127.0.0.1:1/db" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/^cannot open the database: .*unavailable/);
    expect(error.rawMessage).not.toContain("secret");
    expect(events).toEqual(["listen", "listener close", "listener closed"]);
  });

  it("speaks TLS on the same port when given certificate files", async (context) => {
    await requireCommand("openssl", (note) => context.skip(note));
    const pem = await makeSelfSigned();
    try {
      const server = await startServer({ ...quiet, database: ":memory:", tls: { certPath: pem.certPath, keyPath: pem.keyPath } });
      try {
        expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      } finally {
        await server.close();
      }
    } finally {
      await pem.remove();
    }
  });
});

describe("serverDefaults", () => {
  it("are the documented ones", () => {
    expect(serverDefaults).toEqual({ host: "127.0.0.1", port: 8080, database: "./data/wsctl.db", closeGraceMs: 3000 });
  });
});
