import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TokenService } from "../../../gen/workspaces/v1/token_service_pb.js";
import { hashToken } from "../../../server/auth/api-token.js";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";
import { addOtherWorkspace, rejection, scopedToken, violatedFields } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

async function app() {
  env = await createInProcessApp();
  await addOtherWorkspace(env);
  const admin = await scopedToken(env, ["admin"]);
  return { tokens: createClient(TokenService, env.transport), admin: { headers: env.headers(admin) } };
}

describe("createTokenService", () => {
  it("creates a token with its scopes and label, shown once, that works at once", async () => {
    const { tokens, admin } = await app();
    const res = await tokens.createApiToken({ workspaceId: "ws", scopes: ["machines:register", "sessions"], label: "ci" }, admin);
    expect(res.token).toMatch(/^wsa_/);
    expect(res.apiToken).toMatchObject({ workspaceIds: ["ws"], scopes: ["sessions", "machines:register"], label: "ci" });
    expect(res.apiToken?.revokeTime).toBeUndefined();
    expect(await env.store.getToken(res.apiToken!.tokenId)).toMatchObject({ hashHex: hashToken(res.token) });
    const { machines } = await env.machines.listMachines({}, { headers: env.headers(res.token) });
    expect(machines.map((m) => m.machineId)).toEqual(["m1"]);
  });

  it("gives a token created without scopes the sessions scope", async () => {
    const { tokens, admin } = await app();
    expect((await tokens.createApiToken({ workspaceId: "ws" }, admin)).apiToken?.scopes).toEqual(["sessions"]);
  });

  it("lists the workspace's API tokens, live and revoked, oldest first, with no secret and no other workspace", async () => {
    const { tokens, admin } = await app();
    const both = await scopedToken(env, ["sessions"], ["ws", "ws-2"]);
    await scopedToken(env, ["sessions"], ["ws-2"]);
    const created = await tokens.createApiToken({ workspaceId: "ws", label: "gone" }, admin);
    await tokens.revokeApiToken({ workspaceId: "ws", tokenId: created.apiToken!.tokenId }, admin);
    const { apiTokens } = await tokens.listApiTokens({ workspaceId: "ws" }, admin);
    const rows = apiTokens.map((t) => JSON.stringify([t.scopes, t.workspaceIds, t.label, t.revokeTime !== undefined]));
    // The first three share a create time (ordered by their random ids); the one made over the API is the newest.
    expect(rows.slice(0, 3).sort()).toEqual([`[["admin"],["ws"],"",false]`, `[["sessions"],["ws"],"",false]`, `[["sessions"],["ws"],"",false]`]);
    expect(rows[3]).toBe(`[["sessions"],["ws"],"gone",true]`);
    const text = JSON.stringify(apiTokens, (_, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain("wsa_");
    expect(text).not.toContain(hashToken(both));
    expect(text).not.toContain("ws-2");
  });

  it("revokes a token: its next call is unauthenticated, and a second revoke failed_precondition", async () => {
    const { tokens, admin } = await app();
    const created = await tokens.createApiToken({ workspaceId: "ws" }, admin);
    const tokenId = created.apiToken!.tokenId;
    const res = await tokens.revokeApiToken({ workspaceId: "ws", tokenId }, admin);
    expect(res.apiToken?.tokenId).toBe(tokenId);
    expect(Math.abs(Number(timestampMs(res.apiToken!.revokeTime!)) - Date.now())).toBeLessThan(5000);
    await rejection(env.machines.listMachines({}, { headers: env.headers(created.token) }), Code.Unauthenticated);
    await rejection(tokens.revokeApiToken({ workspaceId: "ws", tokenId }, admin), Code.FailedPrecondition);
  });

  it("answers not_found for a token of another workspace, a machine token and an unknown id", async () => {
    const { tokens, admin } = await app();
    await scopedToken(env, ["sessions"], ["ws-2"]);
    const other = (await env.store.listTokens("ws-2"))[0]!.tokenId;
    await env.addMachine("m9");
    const machine = (await env.store.listTokens()).find((t) => t.kind === "machine")!.tokenId;
    for (const tokenId of [other, machine, "tok_000000000000"]) {
      await rejection(tokens.revokeApiToken({ workspaceId: "ws", tokenId }, admin), Code.NotFound);
      expect((await env.store.getToken(tokenId))?.revokedAt).toBeUndefined();
    }
  });

  it("refuses every call of a token without the admin scope with permission_denied", async () => {
    const { tokens } = await app();
    for (const token of [env.apiToken, await scopedToken(env, ["machines:register"])]) {
      const auth = { headers: env.headers(token) };
      const err = await rejection(tokens.createApiToken({ workspaceId: "ws" }, auth), Code.PermissionDenied);
      expect(err.rawMessage).toContain("admin scope");
      await rejection(tokens.listApiTokens({ workspaceId: "ws" }, auth), Code.PermissionDenied);
      await rejection(tokens.revokeApiToken({ workspaceId: "ws", tokenId: "tok_1" }, auth), Code.PermissionDenied);
    }
  });

  it("answers not_found for a workspace the admin token does not cover, as for one that does not exist", async () => {
    const { tokens, admin } = await app();
    const other = await rejection(tokens.listApiTokens({ workspaceId: "ws-2" }, admin), Code.NotFound);
    const missing = await rejection(tokens.createApiToken({ workspaceId: "nope" }, admin), Code.NotFound);
    expect([other.rawMessage, missing.rawMessage]).toEqual(["workspace ws-2 not found", "workspace nope not found"]);
  });

  it("names unknown scopes, a bad label and a bad token id with invalid_argument", async () => {
    const { tokens, admin } = await app();
    const bad = tokens.createApiToken({ workspaceId: "ws", scopes: ["sessions", "root"], label: "x".repeat(201) }, admin);
    expect(await violatedFields(bad)).toEqual(["scopes[1]", "label"]);
    expect(await violatedFields(tokens.revokeApiToken({ workspaceId: "ws", tokenId: "wsa_secret" }, admin))).toEqual(["token_id"]);
  });
});
