import { join } from "node:path";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { runAdmin } from "../../../client/wsctl/admin-command.js";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { createApp } from "../../../server/create-app.js";
import { listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";
import { codeOf } from "../../support/code-of.js";
import { countStoreCalls } from "../../support/counting-store.js";
import { useTempSqliteStores } from "../store/sqlite-temp-store.js";

// The app's token cache on a SQLite file: lookups are reused, yet a revoked
// token is refused on its very next call, on every path that authenticates
// (the gate in front of REST and Connect on the wire, the interceptor of an
// in-process transport, the daemon's calls), whoever revoked it.
const stores = useTempSqliteStores();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve() {
  const real = await stores.open();
  await createWorkspace(real, "ws");
  await createMachine(real, { machineId: "m1", workspaceId: "ws" });
  const caller = await createApiToken(real, { workspaceIds: ["ws"] });
  const admin = await createApiToken(real, { workspaceIds: ["ws"], scopes: ["admin"] });
  const machine = await createMachineToken(real, { machineId: "m1" });
  const counted = countStoreCalls(real);
  const app = createApp({ store: counted.store, log: () => {}, webRoot: "/nonexistent" });
  expect(await app.tokens.start()).toBe(true);
  const server: OnePortServer = await listenOnePort({ port: 0, handler: app.handler, onError: () => {} });
  closers.push(async () => {
    await server.close({ graceMs: 0 });
    app.close();
  });
  const transport = createRouterTransport(app.routes, { router: app.routerOptions });
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const inProcess = {
    machines: (token: string) => codeOf(createClient(MachineService, transport).listMachines({}, auth(token))),
    acknowledge: (token: string) => codeOf(createClient(DaemonService, transport).acknowledge({ commandId: "cmd_none", status: "ok" }, auth(token))),
  };
  const rest = async (token: string, method = "GET", path = "/api/v1/machines") =>
    (await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" })).status;
  return { real, counted, app, caller, admin, machine, inProcess, rest, database: join(stores.dir(), "store.db") };
}

describe("a revoked token with the app's token cache", () => {
  it("is refused on its next call after the server's own RevokeApiToken, though its calls before took no store lookup", async () => {
    const env = await serve();
    expect(await env.rest(env.caller.token)).toBe(200);
    const lookups = env.counted.count("findTokenByHash");
    expect([await env.rest(env.caller.token), await env.inProcess.machines(env.caller.token)]).toEqual([200, "ok"]);
    expect(env.counted.count("findTokenByHash")).toBe(lookups);

    expect(await env.rest(env.admin.token, "POST", `/api/v1/workspaces/ws/tokens/${env.caller.tokenId}:revoke`)).toBe(200);
    expect(await env.rest(env.caller.token)).toBe(401);
    expect(await env.inProcess.machines(env.caller.token)).toBe(Code.Unauthenticated);
  });

  it("is refused on its next call after `wsctl admin revoke-token` wrote the file on a connection of its own", async () => {
    const env = await serve();
    // Warm: the caller's and the daemon's tokens, on both paths; the second round takes no lookup.
    for (let round = 0; round < 2; round++) {
      expect([await env.rest(env.caller.token), await env.inProcess.machines(env.caller.token)]).toEqual([200, "ok"]);
      expect(await env.inProcess.acknowledge(env.machine.token)).toBe(Code.NotFound);
      if (round === 0) env.counted.reset();
    }
    expect(env.counted.count("findTokenByHash", "getMachine")).toBe(0);

    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s), env: {} };
    expect(await runAdmin(["revoke-token", env.caller.tokenId, "--database", env.database], io)).toBe(0);
    expect(await env.rest(env.caller.token)).toBe(401);
    expect(await env.inProcess.machines(env.caller.token)).toBe(Code.Unauthenticated);

    expect(await runAdmin(["revoke-token", env.machine.token, "--database", env.database], io)).toBe(0);
    expect(await env.inProcess.acknowledge(env.machine.token)).toBe(Code.Unauthenticated);
    expect(out.join("")).toContain(`revoked token ${env.machine.tokenId}`);
  });
});
