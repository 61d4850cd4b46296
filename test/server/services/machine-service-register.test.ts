import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { hashToken } from "../../../server/auth/api-token.js";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { addOtherWorkspace, rejection, scopedToken, violatedFields } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

async function app() {
  env = await createInProcessApp({ revocationCheckMs: 20 });
  await addOtherWorkspace(env);
  return env;
}

const as = (token: string) => ({ headers: env.headers(token) });

describe("createMachineService", () => {
  describe("registerMachine", () => {
    it("creates the machine with a machine token shown once and kept only as its hash", async () => {
      await app();
      const token = await scopedToken(env, ["machines:register"]);
      const res = await env.machines.registerMachine({ workspaceId: "ws", name: "laptop" }, as(token));
      expect(res.machine).toMatchObject({ machineId: "laptop", workspaceId: "ws", online: false, isDefault: false });
      expect(res.machineToken).toMatch(/^wsm_/);
      expect(res).toMatchObject({ reregistered: false, revokedTokenIds: [] });
      const stored = await env.store.getToken(res.tokenId);
      expect(stored).toMatchObject({ kind: "machine", machineId: "laptop", hashHex: hashToken(res.machineToken), scopes: [] });
      expect(stored?.label).toMatch(/^registered by tok_/);
      expect(JSON.stringify(await env.store.listTokens())).not.toContain(res.machineToken);
      expect(await env.store.getMachine("laptop")).toMatchObject({ workspaceId: "ws" });
    });

    it("lets the new machine's daemon subscribe with the token", async () => {
      await app();
      const res = await env.machines.registerMachine({ workspaceId: "ws", name: "laptop" }, as(await scopedToken(env, ["admin"])));
      const controller = new AbortController();
      const stream = createClient(DaemonService, env.transport).subscribe(
        { daemonVersion: "t", hostname: "h", runningSessions: [] },
        { headers: env.headers(res.machineToken), signal: controller.signal },
      );
      const reading = (async () => {
        for await (const _ of stream);
      })().catch(() => {});
      await pollUntil(() => env.app.hub.isOnline("laptop"), { what: "laptop online" });
      controller.abort();
      await reading;
    });

    it("re-registers a machine by name: a new token, and the old one's stream ends unauthenticated", async () => {
      await app();
      const token = await scopedToken(env, ["machines:register"]);
      const first = await env.machines.registerMachine({ workspaceId: "ws", name: "laptop" }, as(token));
      const stream = createClient(DaemonService, env.transport).subscribe(
        { daemonVersion: "t", hostname: "h", runningSessions: [] },
        { headers: env.headers(first.machineToken) },
      );
      const ended = (async () => {
        for await (const _ of stream);
      })().then(
        () => undefined,
        (error: unknown) => error,
      );
      await pollUntil(() => env.app.hub.isOnline("laptop"), { what: "laptop online" });
      const second = await env.machines.registerMachine({ workspaceId: "ws", name: "laptop", makeDefault: true }, as(token));
      expect(second).toMatchObject({ reregistered: true, revokedTokenIds: [first.tokenId] });
      expect(second.machine).toMatchObject({ machineId: "laptop", online: true, isDefault: false });
      expect(second.machineToken).not.toBe(first.machineToken);
      expect(await ended).toMatchObject({ code: Code.Unauthenticated });
      const old = createClient(DaemonService, env.transport).acknowledge({ commandId: "c" }, { headers: env.headers(first.machineToken) });
      await rejection(old, Code.Unauthenticated);
      expect(await env.store.findTokenByHash(hashToken(second.machineToken))).toMatchObject({ machineId: "laptop" });
    });

    it("re-registers the workspace's existing machine, keeping it the default", async () => {
      await app();
      const res = await env.machines.registerMachine({ workspaceId: "ws", name: "m1" }, as(await scopedToken(env, ["machines:register"])));
      expect(res).toMatchObject({ reregistered: true, machine: { machineId: "m1", isDefault: true } });
    });

    it("answers already_exists for a name of another workspace's machine, and changes nothing", async () => {
      await app();
      const token = await scopedToken(env, ["machines:register"]);
      const err = await rejection(env.machines.registerMachine({ workspaceId: "ws", name: "m-2" }, as(token)), Code.AlreadyExists);
      expect(err.rawMessage).toBe("machine name m-2 is taken on this server; choose another name");
      expect((await env.store.listTokens()).filter((t) => t.machineId === "m-2")).toEqual([]);
    });

    it("refuses a token without the scope with permission_denied, whatever the workspace", async () => {
      await app();
      for (const workspaceId of ["ws", "ws-2", "nope"]) {
        const err = await rejection(env.machines.registerMachine({ workspaceId, name: "laptop" }, as(env.apiToken)), Code.PermissionDenied);
        expect(err.rawMessage).toContain("machines:register");
      }
      expect(await env.store.getMachine("laptop")).toBeUndefined();
    });

    it("keeps a registration token from the session API", async () => {
      await app();
      const token = await scopedToken(env, ["machines:register"]);
      await rejection(env.machines.listMachines({}, as(token)), Code.PermissionDenied);
      await rejection(env.sessions.listWorkspaceSessions({ workspaceId: "ws" }, as(token)), Code.PermissionDenied);
    });

    it("answers not_found for a workspace the token does not cover, as for one that does not exist", async () => {
      await app();
      const token = await scopedToken(env, ["machines:register"]);
      const other = await rejection(env.machines.registerMachine({ workspaceId: "ws-2", name: "x" }, as(token)), Code.NotFound);
      const missing = await rejection(env.machines.registerMachine({ workspaceId: "nope", name: "x" }, as(token)), Code.NotFound);
      expect([other.rawMessage, missing.rawMessage]).toEqual(["workspace ws-2 not found", "workspace nope not found"]);
    });

    it("names each bad field with invalid_argument", async () => {
      await app();
      const token = await scopedToken(env, ["machines:register"]);
      expect(await violatedFields(env.machines.registerMachine({ workspaceId: "", name: "-bad name" }, as(token)))).toEqual(["workspace_id", "name"]);
    });
  });
});
