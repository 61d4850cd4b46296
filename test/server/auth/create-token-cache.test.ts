import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { openAdminStore } from "../../../server/admin/open-admin-store.js";
import { revokeToken } from "../../../server/admin/revoke-token.js";
import { createTokenCache, type TokenCacheOptions } from "../../../server/auth/create-token-cache.js";
import type { Store } from "../../../server/store/store.js";
import { codeOf } from "../../support/code-of.js";
import { countStoreCalls } from "../../support/counting-store.js";
import { useTempSqliteStores } from "../store/sqlite-temp-store.js";

const stores = useTempSqliteStores();
const bearer = (token: string) => `Bearer ${token}`;

/** A SQLite file with workspace ws, machine m1, an API token and m1's machine token; the cache over a counted store, on a clock the test moves. */
async function setup(options: Partial<TokenCacheOptions> = {}, open: () => Promise<Store> = () => stores.open()) {
  const real = await open();
  await createWorkspace(real, "ws");
  await createMachine(real, { machineId: "m1", workspaceId: "ws" });
  const api = await createApiToken(real, { workspaceIds: ["ws"] });
  const machine = await createMachineToken(real, { machineId: "m1" });
  const counted = countStoreCalls(real);
  const clock = { ms: 1_000 };
  const cache = createTokenCache({ store: counted.store, now: () => clock.ms, log: () => {}, ...options });
  await cache.start();
  return { real, counted, clock, cache, api, machine };
}

describe("createTokenCache", () => {
  it("answers a token again within its TTL without a store call, and looks it up again after", async () => {
    const { counted, clock, cache, api } = await setup({ ttlMs: 2_000 });
    expect(await cache.authenticate(bearer(api.token))).toMatchObject({ kind: "api", tokenId: api.tokenId });
    expect(counted.count()).toBe(1);
    clock.ms += 1_999;
    expect(await cache.authenticate(bearer(api.token))).toMatchObject({ kind: "api", tokenId: api.tokenId });
    expect(counted.count()).toBe(1);
    clock.ms += 1;
    expect(await cache.authenticate(bearer(api.token))).toMatchObject({ kind: "api", tokenId: api.tokenId });
    expect(counted.count("findTokenByHash")).toBe(2);
  });

  it("takes a machine token's two store calls (token, machine) once, then none, where an uncached lookup takes them every time", async () => {
    const cached = await setup();
    for (let i = 0; i < 5; i++) await cached.cache.authenticate(bearer(cached.machine.token));
    expect([cached.counted.count("findTokenByHash"), cached.counted.count("getMachine"), cached.counted.count()]).toEqual([1, 1, 2]);

    const uncached = await setup({ ttlMs: 0 }, () => stores.open(`${stores.dir()}/uncached.db`));
    for (let i = 0; i < 5; i++) await uncached.cache.authenticate(bearer(uncached.machine.token));
    for (let i = 0; i < 5; i++) await uncached.cache.authenticate(bearer(uncached.api.token));
    expect([uncached.counted.count("findTokenByHash"), uncached.counted.count("getMachine"), uncached.cache.size]).toEqual([10, 5, 0]);
  });

  it("never keeps a failure: an unknown token is looked up on every call", async () => {
    const { counted, cache } = await setup();
    for (let i = 0; i < 3; i++) expect(await codeOf(cache.authenticate(bearer("wsa_unknown")))).toBe(Code.Unauthenticated);
    expect(await codeOf(cache.authenticate("Basic abc"))).toBe(Code.Unauthenticated);
    expect([counted.count("findTokenByHash"), cache.size]).toEqual([3, 0]);
  });

  it("refuses a token revoked in this process on its next call, and keeps answering the others from the store", async () => {
    const { real, counted, cache, api, machine } = await setup();
    await cache.authenticate(bearer(api.token));
    await cache.authenticate(bearer(machine.token));
    expect(counted.count()).toBe(3);
    await real.revokeToken(api.tokenId, Date.now());
    expect(await codeOf(cache.authenticate(bearer(api.token)))).toBe(Code.Unauthenticated);
    // The revoke emptied the whole cache: the machine token is looked up again, once.
    await cache.authenticate(bearer(machine.token));
    await cache.authenticate(bearer(machine.token));
    expect(counted.count("getMachine")).toBe(2);
  });

  it("refuses a token on its next call once another connection to the file revoked it (the admin store of `wsctl admin revoke-token`)", async () => {
    const { counted, cache, api, machine } = await setup();
    await cache.authenticate(bearer(api.token));
    await cache.authenticate(bearer(machine.token));
    await cache.authenticate(bearer(api.token));
    expect(counted.count()).toBe(3);
    const admin = await openAdminStore(`${stores.dir()}/store.db`);
    try {
      await revokeToken(admin, machine.token);
    } finally {
      await admin.close();
    }
    expect(await codeOf(cache.authenticate(bearer(machine.token)))).toBe(Code.Unauthenticated);
    expect(await cache.authenticate(bearer(api.token))).toMatchObject({ tokenId: api.tokenId });
    expect(counted.count("findTokenByHash")).toBe(4);
  });

  it("does not keep a lookup that a revoke overtook while it was in flight", async () => {
    const { real, counted, cache, api, machine } = await setup();
    // The store has answered "live" when the revoke commits, and another call sees the change
    // before the first one is done: the first call may pass, the token's next call may not.
    counted.after("findTokenByHash", async () => {
      counted.after("findTokenByHash", undefined);
      await real.revokeToken(api.tokenId, Date.now());
      await cache.authenticate(bearer(machine.token));
    });
    expect(await cache.authenticate(bearer(api.token))).toMatchObject({ tokenId: api.tokenId });
    expect(await codeOf(cache.authenticate(bearer(api.token)))).toBe(Code.Unauthenticated);
  });

  it("keeps at most maxEntries lookups, pushing out the oldest", async () => {
    const { real, counted, cache, api, machine } = await setup({ maxEntries: 2 });
    const third = await createApiToken(real, { workspaceIds: ["ws"] });
    for (const token of [api.token, machine.token, third.token]) await cache.authenticate(bearer(token));
    expect(cache.size).toBe(2);
    counted.reset();
    await cache.authenticate(bearer(third.token));
    await cache.authenticate(bearer(machine.token));
    expect(counted.count()).toBe(0);
    await cache.authenticate(bearer(api.token));
    expect(counted.count("findTokenByHash")).toBe(1);
  });

  it("keeps nothing for a store that cannot tell of token changes", async () => {
    const { real, api } = await setup();
    const counted = countStoreCalls(new Proxy(real, { get: (target, name) => (name === "tokenChanges" ? undefined : Reflect.get(target, name, target)) }));
    const cache = createTokenCache({ store: counted.store });
    expect(await cache.start()).toBe(false);
    for (let i = 0; i < 3; i++) await cache.authenticate(bearer(api.token));
    expect([counted.count("findTokenByHash"), cache.size]).toEqual([3, 0]);
  });
});
