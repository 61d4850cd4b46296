import { describe, expect, it } from "vitest";
import type { Store } from "../../../server/store/store.js";

/** Contract cases for token scopes, labels, per-workspace listing and a machine's token rotation. */
export function describeTokenScopes(getStore: () => Store): void {
  describe("token scopes", () => {
    it("stores an API token's scopes (repeats once) and label, and gives one without scopes the sessions scope", async () => {
      const store = getStore();
      const scoped = await store.createToken({
        tokenId: "t-1",
        kind: "api",
        hashHex: "a1",
        workspaceIds: ["ws-1"],
        machineId: undefined,
        scopes: ["machines:register", "admin", "admin"],
        label: "ci runner — täglich",
        now: 1,
      });
      expect(scoped).toMatchObject({ scopes: ["machines:register", "admin"], label: "ci runner — täglich" });
      expect(await store.findTokenByHash("a1")).toEqual(scoped);
      const plain = await store.createToken({ tokenId: "t-2", kind: "api", hashHex: "a2", workspaceIds: ["ws-1"], machineId: undefined, now: 2 });
      expect(plain).toMatchObject({ scopes: ["sessions"], label: "" });
      const empty = await store.createToken({ tokenId: "t-3", kind: "api", hashHex: "a3", workspaceIds: ["ws-1"], machineId: undefined, scopes: [], now: 3 });
      expect(empty.scopes).toEqual(["sessions"]);
    });

    it("gives a machine token no scopes", async () => {
      const store = getStore();
      const machine = await store.createToken({ tokenId: "t-m", kind: "machine", hashHex: "m1", workspaceIds: [], machineId: "m-1", now: 1 });
      expect(machine).toMatchObject({ scopes: [], label: "" });
      expect((await store.findTokenByHash("m1"))?.scopes).toEqual([]);
    });

    it("gets a token by id, live or revoked", async () => {
      const store = getStore();
      await store.createToken({ tokenId: "t-1", kind: "api", hashHex: "a1", workspaceIds: ["ws-2", "ws-1"], machineId: undefined, scopes: ["admin"], now: 1 });
      expect(await store.getToken("t-1")).toMatchObject({ tokenId: "t-1", workspaceIds: ["ws-1", "ws-2"], scopes: ["admin"], revokedAt: undefined });
      await store.revokeToken("t-1", 9);
      expect(await store.getToken("t-1")).toMatchObject({ tokenId: "t-1", revokedAt: 9 });
      expect(await store.getToken("ghost")).toBeUndefined();
    });

    it("lists the API tokens of one workspace, live and revoked, oldest first, with all their workspaces", async () => {
      const store = getStore();
      await store.createToken({ tokenId: "t-b", kind: "api", hashHex: "b", workspaceIds: ["ws-1", "ws-2"], machineId: undefined, now: 2 });
      await store.createToken({ tokenId: "t-a", kind: "api", hashHex: "a", workspaceIds: ["ws-1"], machineId: undefined, scopes: ["admin"], now: 1 });
      await store.createToken({ tokenId: "t-c", kind: "api", hashHex: "c", workspaceIds: ["ws-2"], machineId: undefined, now: 3 });
      await store.createToken({ tokenId: "t-m", kind: "machine", hashHex: "m", workspaceIds: [], machineId: "m-1", now: 4 });
      await store.revokeToken("t-b", 5);
      const ws1 = await store.listTokens("ws-1");
      expect(ws1.map((t) => [t.tokenId, t.workspaceIds, t.scopes, t.revokedAt])).toEqual([
        ["t-a", ["ws-1"], ["admin"], undefined],
        ["t-b", ["ws-1", "ws-2"], ["sessions"], 5],
      ]);
      expect((await store.listTokens("ws-2")).map((t) => t.tokenId)).toEqual(["t-b", "t-c"]);
      expect(await store.listTokens("ghost")).toEqual([]);
      expect((await store.listTokens()).map((t) => t.tokenId)).toEqual(["t-a", "t-b", "t-c", "t-m"]);
    });

    it("revokes every live token of a machine but the one kept, and no other machine's", async () => {
      const store = getStore();
      await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 1 });
      for (const [id, machineId] of [["t-3", "m-1"], ["t-1", "m-1"], ["t-new", "m-1"], ["t-old", "m-1"], ["t-other", "m-2"]] as const) {
        await store.createToken({ tokenId: id, kind: "machine", hashHex: id, workspaceIds: [], machineId, now: 1 });
      }
      await store.revokeToken("t-old", 2);
      expect(await store.revokeMachineTokens("m-1", "t-new", 10)).toEqual(["t-1", "t-3"]);
      expect(await store.listRevokedTokens(["t-1", "t-3", "t-new", "t-old", "t-other"])).toEqual(["t-1", "t-3", "t-old"]);
      expect((await store.getToken("t-old"))?.revokedAt).toBe(2);
      expect((await store.getToken("t-1"))?.revokedAt).toBe(10);
      expect(await store.revokeMachineTokens("m-1", "t-new", 11)).toEqual([]);
      expect(await store.revokeMachineTokens("ghost", "t-new", 11)).toEqual([]);
    });
  });
}
