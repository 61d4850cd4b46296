import { pollUntil } from "../../support/poll-until.js";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { service as healthDefinition } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHealthService } from "../../../server/health/create-health-service.js";
import { createHealthStatus } from "../../../server/health/create-health-status.js";

// An independent gRPC client: @grpc/grpc-js with the health service definition
// that grpc-health-check loads from the official proto.
const HealthClient = grpc.makeGenericClientConstructor(healthDefinition, "Health");
type Reply = { status: string };
type Client = grpc.Client & {
  check(req: { service: string }, cb: (err: grpc.ServiceError | null, res?: Reply) => void): void;
  watch(req: { service: string }): grpc.ClientReadableStream<Reply>;
  list(req: object, cb: (err: grpc.ServiceError | null, res?: { statuses: Record<string, Reply> }) => void): void;
};

const status = createHealthStatus({ "": "SERVING", "workspaces.v1.WorkspaceSessionService": "SERVING" });
let subscriptions = 0;
let server: http2.Http2Server;
let client: Client;
const sessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  // The registry as options, counting live Watch subscriptions.
  const health = createHealthService({
    check: status.check,
    list: status.list,
    onChange(listener) {
      subscriptions++;
      const off = status.onChange(listener);
      return () => {
        subscriptions--;
        off();
      };
    },
  });
  server = http2.createServer(connectNodeAdapter({ routes: (r) => r.service(health.service, health.impl) }));
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Client;
});

afterAll(async () => {
  client.close();
  for (const s of sessions) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const check = (service: string) =>
  new Promise<Reply>((resolve, reject) =>
    client.check({ service }, (err, res) => (err ? reject(err) : resolve(res!))),
  );

/** Reads a server stream message by message. */
function reader(stream: grpc.ClientReadableStream<Reply>) {
  const queue: Reply[] = [];
  let waiting: ((r: Reply) => void) | undefined;
  stream.on("data", (r: Reply) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(r);
    } else queue.push(r);
  });
  stream.on("error", () => {});
  return {
    next: () => {
      const r = queue.shift();
      return r ? Promise.resolve(r) : new Promise<Reply>((resolve) => (waiting = resolve));
    },
  };
}

/** Polls `condition` until it holds or 5 s pass. */
function until(condition: () => boolean): Promise<boolean> {
  return pollUntil(condition, { intervalMs: 5, what: "the health status to change" });
}

describe("createHealthService", () => {
  it("answers Check with SERVING for the server and a registered service", async () => {
    expect((await check("")).status).toBe("SERVING");
    expect((await check("workspaces.v1.WorkspaceSessionService")).status).toBe("SERVING");
  });

  it("answers Check for an unknown service with NOT_FOUND", async () => {
    await expect(check("no.such.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("answers Check with NOT_SERVING after the status is flipped", async () => {
    status.set("flip.Service", "NOT_SERVING");
    expect((await check("flip.Service")).status).toBe("NOT_SERVING");
  });

  it("sends the current status on Watch, then each change after set()", async () => {
    status.set("watched.Service", "SERVING");
    const stream = client.watch({ service: "watched.Service" });
    const r = reader(stream);
    expect((await r.next()).status).toBe("SERVING");
    status.set("watched.Service", "NOT_SERVING");
    expect((await r.next()).status).toBe("NOT_SERVING");
    status.set("watched.Service", "SERVING");
    expect((await r.next()).status).toBe("SERVING");
    stream.cancel();
  });

  it("reports an unknown service on Watch as SERVICE_UNKNOWN and follows it once known", async () => {
    const stream = client.watch({ service: "later.Service" });
    const r = reader(stream);
    expect((await r.next()).status).toBe("SERVICE_UNKNOWN");
    status.set("later.Service", "SERVING");
    expect((await r.next()).status).toBe("SERVING");
    stream.cancel();
  });

  it("ends a Watch's subscription when the caller cancels", async () => {
    // Streams cancelled by earlier tests unsubscribe too, asynchronously.
    await until(() => subscriptions === 0);
    const stream = client.watch({ service: "" });
    await reader(stream).next();
    expect(subscriptions).toBe(1);
    stream.cancel();
    await until(() => subscriptions === 0);
    expect(subscriptions).toBe(0);
  });

  it("polls check() for Watch when no onChange is given", async () => {
    let current: "SERVING" | "NOT_SERVING" = "SERVING";
    const health = createHealthService({ check: () => current, watchIntervalMs: 20 });
    const local = http2.createServer(connectNodeAdapter({ routes: (r) => r.service(health.service, health.impl) }));
    await new Promise<void>((resolve) => local.listen(0, "127.0.0.1", resolve));
    const c = new HealthClient(
      `127.0.0.1:${(local.address() as AddressInfo).port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as Client;
    try {
      const r = reader(c.watch({ service: "" }));
      expect((await r.next()).status).toBe("SERVING");
      current = "NOT_SERVING";
      expect((await r.next()).status).toBe("NOT_SERVING");
    } finally {
      c.close();
      local.close();
    }
  });

  it("answers List with every known service", async () => {
    const res = await new Promise<{ statuses: Record<string, Reply> }>((resolve, reject) =>
      client.list({}, (err, r) => (err ? reject(err) : resolve(r!))),
    );
    expect(res.statuses[""]?.status).toBe("SERVING");
    expect(res.statuses["workspaces.v1.WorkspaceSessionService"]?.status).toBe("SERVING");
  });
});
