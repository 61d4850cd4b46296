import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DaemonService } from "../../../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../../../gen/workspaces/v1/machine_service_pb.js";
import { TokenService } from "../../../../gen/workspaces/v1/token_service_pb.js";
import { createApiToken } from "../../../../server/admin/create-api-token.js";
import { createMachine } from "../../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../../server/admin/create-workspace.js";
import { openAdminStore } from "../../../../server/admin/open-admin-store.js";
import { revokeToken } from "../../../../server/admin/revoke-token.js";
import { openStore } from "../../../../server/store/open-store.js";
import { codeOf } from "../../../support/code-of.js";
import { type CountingStore, countStoreCalls } from "../../../support/counting-store.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";
import { openReplica, type Replica } from "./in-process-replica.js";

// Two replicas on one schema, each with its app's token cache: B answers a
// token from its cache, the token is revoked on A (or by `wsctl admin` on a
// connection of its own), and B refuses the token's very next call: the
// revoke resolved only once B confirmed it had emptied its cache.
const postgres = await findTestPostgres("token cache across PostgreSQL replicas");

describe.skipIf(postgres.skip)("token cache across replicas", { timeout: 20_000 }, () => {
  let db: TestSchema;
  let adminToken: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    db = await createTestSchema("token_cache_replicas");
    const store = await openStore(db.url);
    await createWorkspace(store, "ws");
    await createMachine(store, { machineId: "m1", workspaceId: "ws" });
    adminToken = (await createApiToken(store, { workspaceIds: ["ws"], scopes: ["admin"] })).token;
    await store.close();
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) await r.close();
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** A replica whose app's store calls are counted, its token cache started. */
  async function replica() {
    let counted: CountingStore | undefined;
    const r = await openReplica(db.url, {
      wrapStore: (store) => {
        counted = countStoreCalls(store);
        return counted.store;
      },
    });
    replicas.push(r);
    expect(await r.app.tokens.start()).toBe(true);
    const transport = createRouterTransport(r.app.routes, { router: r.app.routerOptions });
    const headers = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    return {
      r,
      counted: counted!,
      listMachines: (token: string) => codeOf(createClient(MachineService, transport).listMachines({}, headers(token))),
      acknowledge: (token: string) => codeOf(createClient(DaemonService, transport).acknowledge({ commandId: "cmd_none", status: "ok" }, headers(token))),
      tokens: createClient(TokenService, transport),
      headers,
    };
  }

  const issue = async (issueOn: (store: Awaited<ReturnType<typeof openAdminStore>>) => Promise<{ token: string; tokenId: string }>) => {
    const store = await openAdminStore(db.url);
    try {
      return await issueOn(store);
    } finally {
      await store.close();
    }
  };

  it("refuses on B the next call of a token B had cached, once A's RevokeApiToken returned", async () => {
    const [a, b] = [await replica(), await replica()];
    const caller = await issue((store) => createApiToken(store, { workspaceIds: ["ws"] }));
    expect([await b.listMachines(caller.token), await b.listMachines(caller.token), await b.listMachines(caller.token)]).toEqual(["ok", "ok", "ok"]);
    expect(b.counted.count("findTokenByHash")).toBe(1);

    await a.tokens.revokeApiToken({ workspaceId: "ws", tokenId: caller.tokenId }, a.headers(adminToken));
    expect(await b.listMachines(caller.token)).toBe(Code.Unauthenticated);
    expect(await a.listMachines(caller.token)).toBe(Code.Unauthenticated);
  });

  it("refuses on B the next call of an API and a machine token once `wsctl admin revoke-token` returned on a connection of its own", async () => {
    const b = await replica();
    const caller = await issue((store) => createApiToken(store, { workspaceIds: ["ws"] }));
    const daemon = await issue((store) => createMachineToken(store, { machineId: "m1" }));
    for (let round = 0; round < 2; round++) {
      expect([await b.listMachines(caller.token), await b.acknowledge(daemon.token)]).toEqual(["ok", Code.NotFound]);
    }
    expect(b.counted.count("findTokenByHash", "getMachine")).toBe(3);

    await issue(async (store) => ({ token: "", tokenId: await revokeToken(store, caller.tokenId) }));
    expect(await b.listMachines(caller.token)).toBe(Code.Unauthenticated);
    await issue(async (store) => ({ token: "", tokenId: await revokeToken(store, daemon.token) }));
    expect(await b.acknowledge(daemon.token)).toBe(Code.Unauthenticated);
  });

  it("refuses on B the next call of a machine's old token once its re-registration on A returned", async () => {
    const [a, b] = [await replica(), await replica()];
    const registrar = await issue((store) => createApiToken(store, { workspaceIds: ["ws"], scopes: ["machines:register"] }));
    const old = await issue((store) => createMachineToken(store, { machineId: "m1" }));
    expect([await b.acknowledge(old.token), await b.acknowledge(old.token)]).toEqual([Code.NotFound, Code.NotFound]);
    expect(b.counted.count("getMachine")).toBe(1);

    const machines = createClient(MachineService, createRouterTransport(a.r.app.routes, { router: a.r.app.routerOptions }));
    const registered = await machines.registerMachine({ workspaceId: "ws", name: "m1" }, a.headers(registrar.token));
    expect(registered.revokedTokenIds).toContain(old.tokenId);
    expect(await b.acknowledge(old.token)).toBe(Code.Unauthenticated);
  });
});
