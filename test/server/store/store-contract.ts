import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultWorkspacePermissions, type Store } from "../../../server/store/store.js";
import { describeAcceptLaunch } from "./store-contract-accept.js";
import { describeEventsCommandsKeys } from "./store-contract-events.js";
import { describePermissions } from "./store-contract-permissions.js";
import { expectCode } from "./store-contract-fixtures.js";
import { describeTokenScopes } from "./store-contract-scopes.js";
import { describeSessions } from "./store-contract-sessions.js";
import { describeTranscript } from "./store-contract-transcript.js";
import { describeWebhooks } from "./store-contract-webhooks.js";

export { session } from "./store-contract-fixtures.js";

/**
 * The behaviour every Store implementation must show. `makeStore` returns a
 * fresh, empty, migrated store for each test; the suite closes it afterwards.
 * Fixture: workspace `ws-1` with machine `m-1` (its default) and `ws-2` with none.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
      await store.createWorkspace("ws-1", 100);
      await store.createWorkspace("ws-2", 200);
      await store.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: false, now: 300 });
    });
    afterEach(async () => {
      await store.close();
    });

    describe("workspaces", () => {
      it("creates, gets and lists workspaces", async () => {
        const created = await store.createWorkspace("ws-3", 400);
        expect(created).toEqual({ workspaceId: "ws-3", defaultMachineId: undefined, permissions: defaultWorkspacePermissions, createdAt: 400 });
        expect(await store.getWorkspace("ws-3")).toEqual(created);
        expect(await store.getWorkspace("nope")).toBeUndefined();
        expect((await store.listWorkspaces()).map((w) => w.workspaceId)).toEqual(["ws-1", "ws-2", "ws-3"]);
      });

      it("maps a duplicate workspace to already_exists", async () => {
        await expectCode(store.createWorkspace("ws-1", 500), Code.AlreadyExists, /workspace already exists/);
      });

      it("rejects with canceled when the signal is already aborted", async () => {
        const controller = new AbortController();
        controller.abort();
        await expectCode(store.getWorkspace("ws-1", controller.signal), Code.Canceled);
        await expectCode(store.listSessions({ workspaceId: "ws-1", limit: 5 }, controller.signal), Code.Canceled);
      });
    });

    describe("machines", () => {
      it("makes the first machine of a workspace its default", async () => {
        expect((await store.getWorkspace("ws-1"))?.defaultMachineId).toBe("m-1");
        const m = await store.createMachine({ machineId: "m-2", workspaceId: "ws-2", makeDefault: false, now: 400 });
        expect(m).toEqual({
          machineId: "m-2",
          workspaceId: "ws-2",
          daemonVersion: "",
          hostname: "",
          lastSeenAt: undefined,
          createdAt: 400,
        });
        expect((await store.getWorkspace("ws-2"))?.defaultMachineId).toBe("m-2");
      });

      it("keeps the default unless makeDefault is set", async () => {
        await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 400 });
        expect((await store.getWorkspace("ws-1"))?.defaultMachineId).toBe("m-1");
        await store.createMachine({ machineId: "m-3", workspaceId: "ws-1", makeDefault: true, now: 500 });
        expect((await store.getWorkspace("ws-1"))?.defaultMachineId).toBe("m-3");
      });

      it("changes nothing when creating the machine fails", async () => {
        await expectCode(
          store.createMachine({ machineId: "m-1", workspaceId: "ws-2", makeDefault: true, now: 400 }),
          Code.AlreadyExists,
          /machine already exists/,
        );
        expect((await store.getWorkspace("ws-2"))?.defaultMachineId).toBeUndefined();
        expect((await store.getMachine("m-1"))?.workspaceId).toBe("ws-1");
      });

      it("refuses a machine in a missing workspace with failed_precondition", async () => {
        await expectCode(
          store.createMachine({ machineId: "m-9", workspaceId: "ghost", makeDefault: false, now: 400 }),
          Code.FailedPrecondition,
        );
        expect(await store.getMachine("m-9")).toBeUndefined();
      });

      it("lists machines by workspace then id, optionally filtered", async () => {
        await store.createMachine({ machineId: "b", workspaceId: "ws-2", makeDefault: false, now: 400 });
        await store.createMachine({ machineId: "a", workspaceId: "ws-2", makeDefault: false, now: 400 });
        await store.createMachine({ machineId: "z", workspaceId: "ws-1", makeDefault: false, now: 400 });
        const ids = (list: { machineId: string }[]) => list.map((m) => m.machineId);
        expect(ids(await store.listMachines())).toEqual(["m-1", "z", "a", "b"]);
        expect(ids(await store.listMachines(["ws-2"]))).toEqual(["a", "b"]);
        expect(ids(await store.listMachines(["ws-2", "ws-1"]))).toEqual(["m-1", "z", "a", "b"]);
        expect(await store.listMachines([])).toEqual([]);
        expect(await store.getMachine("nope")).toBeUndefined();
      });

      it("records what a daemon said and when it was seen", async () => {
        await store.recordMachineSeen("m-1", { daemonVersion: "1.2.3", hostname: "box", now: 900 });
        await store.recordMachineSeen("m-1", { now: 950 });
        expect(await store.getMachine("m-1")).toMatchObject({ daemonVersion: "1.2.3", hostname: "box", lastSeenAt: 950 });
        await store.recordMachineSeen("ghost", { now: 1 });
      });
    });

    describe("tokens", () => {
      it("finds a live API token by hash with its workspaces", async () => {
        const created = await store.createToken({
          tokenId: "t-1",
          kind: "api",
          hashHex: "aa".repeat(32),
          workspaceIds: ["ws-2", "ws-1"],
          machineId: undefined,
          now: 500,
        });
        expect(created).toEqual({
          tokenId: "t-1",
          kind: "api",
          hashHex: "aa".repeat(32),
          workspaceIds: ["ws-1", "ws-2"],
          machineId: undefined,
          scopes: ["sessions"],
          label: "",
          createdAt: 500,
          revokedAt: undefined,
        });
        expect(await store.findTokenByHash("aa".repeat(32))).toEqual(created);
        expect(await store.findTokenByHash("bb".repeat(32))).toBeUndefined();
      });

      it("stores a machine token bound to its machine", async () => {
        await store.createToken({ tokenId: "t-m", kind: "machine", hashHex: "cc", workspaceIds: [], machineId: "m-1", now: 1 });
        expect(await store.findTokenByHash("cc")).toMatchObject({ kind: "machine", machineId: "m-1", workspaceIds: [] });
      });

      it("no longer finds a revoked token", async () => {
        await store.createToken({ tokenId: "t-1", kind: "api", hashHex: "aa", workspaceIds: ["ws-1"], machineId: undefined, now: 1 });
        expect(await store.revokeToken("t-1", 700)).toBe(true);
        expect(await store.findTokenByHash("aa")).toBeUndefined();
        expect(await store.revokeToken("t-1", 800)).toBe(false);
        expect(await store.revokeToken("ghost", 800)).toBe(false);
        expect(await store.listTokens()).toEqual([
          expect.objectContaining({ tokenId: "t-1", revokedAt: 700, workspaceIds: ["ws-1"] }),
        ]);
      });

      it("moves its token change epoch before a revoke resolves (a token, a machine's others), and not for a revoke of nothing", async () => {
        const feed = store.tokenChanges!;
        await feed.start({ ttlMs: 1_000, log: () => {} });
        await store.createToken({ tokenId: "t-1", kind: "api", hashHex: "aa", workspaceIds: ["ws-1"], machineId: undefined, now: 1 });
        for (const id of ["t-m1", "t-m2"]) {
          await store.createToken({ tokenId: id, kind: "machine", hashHex: id, workspaceIds: [], machineId: "m-1", now: 1 });
        }
        const epochs = [feed.epoch()];
        await store.revokeToken("t-1", 700);
        epochs.push(feed.epoch());
        await store.revokeToken("t-1", 800);
        await store.revokeMachineTokens("m-1", "t-m1", 800);
        epochs.push(feed.epoch());
        await store.revokeMachineTokens("m-1", "t-m1", 900);
        epochs.push(feed.epoch());
        expect(epochs.every((e) => typeof e === "number")).toBe(true);
        expect(new Set(epochs.slice(0, 3)).size).toBe(3);
        expect(epochs[3]).toBe(epochs[2]);
      });

      it("tells which of some tokens are revoked", async () => {
        for (const id of ["t-1", "t-2", "t-3"]) {
          await store.createToken({ tokenId: id, kind: "api", hashHex: id, workspaceIds: ["ws-1"], machineId: undefined, now: 1 });
        }
        await store.revokeToken("t-1", 5);
        await store.revokeToken("t-3", 6);
        expect(await store.listRevokedTokens(["t-3", "t-2", "t-1", "ghost"])).toEqual(["t-1", "t-3"]);
        expect(await store.listRevokedTokens([])).toEqual([]);
      });

      it("lists every token with its workspaces", async () => {
        await store.createToken({ tokenId: "t-2", kind: "api", hashHex: "b", workspaceIds: ["ws-2"], machineId: undefined, now: 2 });
        await store.createToken({ tokenId: "t-1", kind: "api", hashHex: "a", workspaceIds: ["ws-1", "ws-2"], machineId: undefined, now: 1 });
        const list = await store.listTokens();
        expect(list.map((t) => [t.tokenId, t.workspaceIds])).toEqual([
          ["t-1", ["ws-1", "ws-2"]],
          ["t-2", ["ws-2"]],
        ]);
      });

      it("maps a duplicate hash to already_exists and stores nothing for a missing workspace", async () => {
        await store.createToken({ tokenId: "t-1", kind: "api", hashHex: "aa", workspaceIds: ["ws-1"], machineId: undefined, now: 1 });
        await expectCode(
          store.createToken({ tokenId: "t-2", kind: "api", hashHex: "aa", workspaceIds: ["ws-1"], machineId: undefined, now: 1 }),
          Code.AlreadyExists,
          /token already exists/,
        );
        await expectCode(
          store.createToken({ tokenId: "t-3", kind: "api", hashHex: "dd", workspaceIds: ["ws-1", "ghost"], machineId: undefined, now: 1 }),
          Code.FailedPrecondition,
        );
        expect(await store.findTokenByHash("dd")).toBeUndefined();
        expect((await store.listTokens()).map((t) => t.tokenId)).toEqual(["t-1"]);
      });
    });

    describeTokenScopes(() => store);
    describeSessions(() => store);
    describeEventsCommandsKeys(() => store);
    describeTranscript(() => store);
    describeWebhooks(() => store);
    describePermissions(() => store);
    describeAcceptLaunch(() => store);
  });
}
