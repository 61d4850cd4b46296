import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAdmin } from "../../../client/wsctl/admin-command.js";
import { MachineSchema } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { ApiTokenSchema } from "../../../gen/workspaces/v1/token_service_pb.js";
import { hashToken } from "../../../server/auth/api-token.js";
import { createTokenCache } from "../../../server/auth/create-token-cache.js";
import { openStore } from "../../../server/store/open-store.js";
import type { Store } from "../../../server/store/store.js";

/** A token's principal as the server looks it up, nothing kept between calls. */
function authenticate(store: Store, authorization: string) {
  return createTokenCache({ store, ttlMs: 0 }).authenticate(authorization);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("runAdmin", () => {
  let dir: string;
  let database: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wsctl-admin-"));
    database = join(dir, "nested", "wsctl.db");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function admin(args: string[], env: NodeJS.ProcessEnv = {}, withDatabase = true): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const code = await runAdmin(withDatabase ? [...args, "--database", database] : args, {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      env,
    });
    return { code, stdout, stderr };
  }

  async function json(args: string[]): Promise<Record<string, unknown>> {
    const run = await admin([...args, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0] ?? "") as Record<string, unknown>;
  }

  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore(database);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  async function authError(token: string): Promise<ConnectError | undefined> {
    return withStore(async (store) => {
      try {
        await authenticate(store, `Bearer ${token}`);
        return undefined;
      } catch (err) {
        if (err instanceof ConnectError) return err;
        throw err;
      }
    });
  }

  it("creates a workspace, and refuses to create it twice", async () => {
    expect(await json(["create-workspace", "w1"])).toEqual({ workspace_id: "w1" });
    const again = await admin(["create-workspace", "w1"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("wsctl admin: workspace w1 already exists\n");
  });

  it("makes the first machine of a workspace its default, and another one on --default", async () => {
    await admin(["create-workspace", "w1"]);
    expect(await json(["create-machine", "m1", "--workspace", "w1"])).toEqual({ machine_id: "m1", workspace_id: "w1", is_default: true });
    expect(await json(["create-machine", "m2", "--workspace", "w1"])).toEqual({ machine_id: "m2", workspace_id: "w1", is_default: false });
    const human = await admin(["create-machine", "m3", "--workspace", "w1", "--default"]);
    expect(human).toEqual({ code: 0, stdout: "created machine m3 in workspace w1 (default)\n", stderr: "" });
    expect(await withStore((s) => s.getWorkspace("w1"))).toMatchObject({ defaultMachineId: "m3" });
  });

  it("fails for a machine in a missing workspace or a duplicate machine", async () => {
    const missing = await admin(["create-machine", "m1", "--workspace", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("wsctl admin: workspace nope not found\n");
    await admin(["create-workspace", "w1"]);
    await admin(["create-machine", "m1", "--workspace", "w1"]);
    const duplicate = await admin(["create-machine", "m1", "--workspace", "w1"]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toBe("wsctl admin: machine m1 already exists\n");
  });

  it("prints an API token alone on the last line, and it authenticates for its workspaces", async () => {
    await admin(["create-workspace", "w1"]);
    await admin(["create-workspace", "w2"]);
    const run = await admin(["create-token", "--workspace", "w1", "--workspace", "w2", "--workspace", "w1"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    const token = lines.at(-1) ?? "";
    expect(token).toMatch(/^wsa_[A-Za-z0-9_-]{43}$/);
    expect(lines[0]).toMatch(/^created API token tok_[0-9a-f]{12} for workspaces w1, w2/);
    const record = await withStore((s) => s.findTokenByHash(hashToken(token)));
    expect(record).toMatchObject({ kind: "api", workspaceIds: ["w1", "w2"] });
    const principal = await withStore((s) => authenticate(s, `Bearer ${token}`));
    expect(principal).toEqual({ kind: "api", tokenId: record?.tokenId, workspaceIds: new Set(["w1", "w2"]), scopes: new Set(["sessions"]) });
  });

  it("creates an API token with the scopes and label asked for", async () => {
    await admin(["create-workspace", "w1"]);
    const run = await admin(["create-token", "--workspace", "w1", "--scope", "admin", "--scope", "machines:register", "--label", "setup"]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toMatch(/for workspace w1 \(scopes: machines:register, admin\); it is shown only once:$/);
    const token = run.stdout.trimEnd().split("\n").at(-1) ?? "";
    expect(await withStore((s) => s.findTokenByHash(hashToken(token)))).toMatchObject({ scopes: ["machines:register", "admin"], label: "setup" });
    const listed = await json(["list"]);
    expect(listed.tokens).toEqual([expect.objectContaining({ scopes: ["machines:register", "admin"], label: "setup" })]);
  });

  it("prints a machine token as JSON, and it authenticates as that machine", async () => {
    await admin(["create-workspace", "w1"]);
    await admin(["create-machine", "m1", "--workspace", "w1"]);
    const out = await json(["create-token", "--machine", "m1"]);
    expect(out).toEqual({
      token_id: expect.stringMatching(/^tok_[0-9a-f]{12}$/),
      token: expect.stringMatching(/^wsm_/),
      kind: "machine",
      workspace_ids: ["w1"],
      machine_id: "m1",
    });
    const principal = await withStore((s) => authenticate(s, `Bearer ${String(out.token)}`));
    expect(principal).toEqual({ kind: "machine", tokenId: out.token_id, machineId: "m1", workspaceId: "w1" });
  });

  it("fails to create tokens for a missing machine or workspace", async () => {
    const machine = await admin(["create-token", "--machine", "m9"]);
    expect(machine).toMatchObject({ code: 1, stderr: "wsctl admin: machine m9 not found\n", stdout: "" });
    const workspace = await admin(["create-token", "--workspace", "w9"]);
    expect(workspace).toMatchObject({ code: 1, stderr: "wsctl admin: workspace w9 not found\n", stdout: "" });
  });

  it("revokes a token by id, after which it no longer authenticates", async () => {
    await admin(["create-workspace", "w1"]);
    const { token, token_id: tokenId } = await json(["create-token", "--workspace", "w1"]);
    expect(await authError(String(token))).toBeUndefined();
    expect(await json(["revoke-token", String(tokenId)])).toEqual({ token_id: tokenId, revoked: true });
    expect((await authError(String(token)))?.code).toBe(Code.Unauthenticated);
    const again = await admin(["revoke-token", String(tokenId)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`wsctl admin: token ${String(tokenId)} not found or already revoked\n`);
  });

  it("revokes a token given as the token itself, without echoing it", async () => {
    await admin(["create-workspace", "w1"]);
    const { token, token_id: tokenId } = await json(["create-token", "--workspace", "w1"]);
    const run = await admin(["revoke-token", String(token)]);
    expect(run).toEqual({ code: 0, stdout: `revoked token ${String(tokenId)}\n`, stderr: "" });
    expect((await authError(String(token)))?.code).toBe(Code.Unauthenticated);
    const again = await admin(["revoke-token", String(token)]);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toContain(String(token));
  });

  it("lists workspaces, machines and tokens by id and kind, never hashes", async () => {
    await admin(["create-workspace", "w1"]);
    await admin(["create-machine", "m1", "--workspace", "w1"]);
    const api = await json(["create-token", "--workspace", "w1"]);
    const machine = await json(["create-token", "--machine", "m1"]);
    await admin(["revoke-token", String(api.token_id)]);
    const list = await json(["list"]);
    expect(list.workspaces).toEqual([
      {
        workspace_id: "w1",
        default_machine_id: "m1",
        create_time: expect.any(String),
        default_permission_mode: "default",
        permission_ceiling: "bypass_permissions",
        approval_timeout: "10m",
        approval_default_decision: "deny",
      },
    ]);
    expect(list.machines).toMatchObject([{ machine_id: "m1", workspace_id: "w1", is_default: true, last_seen_time: null }]);
    expect(list.tokens).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ token_id: api.token_id, kind: "api", workspace_ids: ["w1"], revoke_time: expect.any(String) }),
        expect.objectContaining({ token_id: machine.token_id, kind: "machine", machine_id: "m1", revoke_time: null }),
      ]),
    );
    const text = JSON.stringify(list) + (await admin(["list"])).stdout;
    for (const t of [api, machine]) {
      expect(text).not.toContain(String(t.token));
      expect(text).not.toContain(hashToken(String(t.token)));
    }
    expect((await admin(["list"])).stdout).toMatch(/^WORKSPACE\s+DEFAULT MACHINE\s+CREATED\s+PERMISSION MODE\s+CEILING\s+APPROVAL TIMEOUT\s+THEN\nw1\s+m1\s+/);
  });

  it("creates a workspace with permission settings, updates some, and lists them", async () => {
    const created = await json(["create-workspace", "w1", "--permission-ceiling", "accept_edits", "--approval-timeout", "90s"]);
    expect(created).toEqual({
      workspace_id: "w1",
      default_permission_mode: "default",
      permission_ceiling: "accept_edits",
      approval_timeout: "1m30s",
      approval_default_decision: "deny",
    });
    const updated = await admin(["update-workspace", "w1", "--permission-mode", "plan", "--approval-default", "allow"]);
    expect(updated).toMatchObject({ code: 0, stderr: "" });
    expect(updated.stdout).toBe("updated workspace w1 (mode plan, ceiling accept_edits, approval timeout 1m30s, then allow)\n");
    expect(await withStore((s) => s.getWorkspace("w1"))).toMatchObject({
      permissions: { defaultMode: "plan", ceiling: "accept_edits", approvalTimeoutMs: 90_000, defaultDecision: "allow" },
    });
    const [row] = (await json(["list"])).workspaces as Record<string, unknown>[];
    expect(row).toMatchObject({ default_permission_mode: "plan", permission_ceiling: "accept_edits", approval_timeout: "1m30s" });
    expect((await admin(["list"])).stdout).toMatch(/\nw1\s+-\s+\S+\s+plan\s+accept_edits\s+1m30s\s+allow\n/);
  });

  it("refuses a default mode above the ceiling, and a workspace that does not exist", async () => {
    const above = await admin(["create-workspace", "w1", "--permission-mode", "accept_edits", "--permission-ceiling", "plan"]);
    expect(above.code).toBe(1);
    expect(above.stderr).toBe(
      "wsctl admin: workspace w1: the default permission mode accept_edits is above the ceiling plan; lower the mode or raise the ceiling\n",
    );
    await admin(["create-workspace", "w1"]);
    expect((await admin(["update-workspace", "w1", "--permission-ceiling", "plan"])).stderr).toContain("above the ceiling plan");
    expect((await admin(["update-workspace", "ghost", "--permission-ceiling", "plan"])).stderr).toBe("wsctl admin: workspace ghost not found\n");
  });

  it("names each field as the API does (Machine, ApiToken), times as the API's JSON writes them", async () => {
    await admin(["create-workspace", "w1"]);
    await admin(["create-machine", "m1", "--workspace", "w1"]);
    await json(["create-token", "--workspace", "w1"]);
    const list = await json(["list"]);
    const names = (schema: { fields: { name: string }[] }) => schema.fields.map((f) => f.name);
    const machine = (list.machines as Record<string, unknown>[])[0]!;
    const token = (list.tokens as Record<string, unknown>[])[0]!;
    expect(Object.keys(machine).filter((k) => !names(MachineSchema).includes(k))).toEqual([]);
    // `kind` and `machine_id` cover machine tokens, which the API does not list.
    expect(Object.keys(token).filter((k) => !names(ApiTokenSchema).includes(k))).toEqual(["kind", "machine_id"]);
    expect(Object.keys((list.workspaces as Record<string, unknown>[])[0]!)).toEqual([
      "workspace_id",
      "default_machine_id",
      "create_time",
      "default_permission_mode",
      "permission_ceiling",
      "approval_timeout",
      "approval_default_decision",
    ]);
    expect(token.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it("exits 1 when the database cannot be opened", async () => {
    const run = await admin(["list", "--database", dir], {}, false);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^wsctl admin: cannot open database: .+\n$/);
  });

  it("takes options before the verb too", async () => {
    const run = await admin(["--json", "--database", database, "create-workspace", "w1"], {}, false);
    expect(run).toEqual({ code: 0, stdout: '{"workspace_id":"w1"}\n', stderr: "" });
  });

  it("uses WSCTL_DATABASE when --database is not given", async () => {
    const run = await admin(["create-workspace", "w1"], { WSCTL_DATABASE: database }, false);
    expect(run.code).toBe(0);
    expect(await withStore((s) => s.getWorkspace("w1"))).toMatchObject({ workspaceId: "w1" });
  });

  it("exits 2 with a one-line reason for usage errors, before opening the database", async () => {
    const cases: [string[], RegExp][] = [
      [["create-workspace", "bad id"], /invalid workspace id "bad id"/],
      [["create-workspace", "-x"], /^wsctl admin: Unknown option '-x'$/],
      [["create-workspace", "a".repeat(65)], /invalid workspace id/],
      [["create-workspace"], /create-workspace takes ID, got 0 argument/],
      [["create-machine", "m1"], /needs exactly one --workspace/],
      [["create-machine", "m1", "--workspace", "w1", "--machine", "m2"], /does not take --machine/],
      [["create-token"], /needs either --workspace/],
      [["create-token", "--workspace", "w1", "--machine", "m1"], /needs either --workspace/],
      [["revoke-token", "nonsense"], /needs a token id/],
      [["create-token", "--workspace", "w1", "--scope", "root"], /unknown scope "root": use sessions, machines:register, admin/],
      [["create-token", "--machine", "m1", "--scope", "admin"], /--scope and --label are for API tokens/],
      [["create-machine", "m1", "--workspace", "w1", "--scope", "admin"], /does not take --scope/],
      [["list", "extra"], /list takes no arguments/],
      [["create-workspace", "w1", "--permission-mode", "yolo"], /invalid --permission-mode "yolo": use plan, default, accept_edits, bypass_permissions/],
      [["create-workspace", "w1", "--approval-timeout", "soon"], /invalid --approval-timeout "soon": use a duration from 1s to 7d/],
      [["update-workspace", "w1", "--approval-default", "maybe"], /invalid --approval-default "maybe": use allow, deny/],
      [["update-workspace", "w1"], /update-workspace needs at least one of --permission-mode/],
      [["create-machine", "m1", "--workspace", "w1", "--permission-mode", "plan"], /does not take --permission-mode/],
      [["frobnicate"], /unknown verb "frobnicate"/],
      [[], /missing verb/],
    ];
    for (const [args, reason] of cases) {
      const run = await admin(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr.split("\n")[0]).toMatch(reason);
      expect(run.stderr.split("\n")[0]).toMatch(/^wsctl admin: /);
    }
    expect(existsSync(database)).toBe(false);
  });

  it("prints usage with examples on --help", async () => {
    for (const args of [["--help"], ["create-token", "--help"]]) {
      const run = await admin(args, {}, false);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("create-token --machine MID");
      expect(run.stdout).toContain("Examples:");
    }
  });
});
