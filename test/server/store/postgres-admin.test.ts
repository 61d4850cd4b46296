import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdmin } from "../../../client/wsctl/admin-command.js";
import { hashToken } from "../../../server/auth/api-token.js";
import { openStore } from "../../../server/store/open-store.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../support/postgres-test-database.js";

const postgres = await findTestPostgres("wsctl admin on PostgreSQL");

// `wsctl admin … --database postgres://…` goes through openStore like a file path does.
describe.skipIf(postgres.skip)("runAdmin", () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema("admin", { create: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await runAdmin([...args, "--database", db.url], {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      env: {},
    });
    return { code, stdout, stderr };
  }

  it("creates a workspace, a machine and a token on PostgreSQL and lists them", async () => {
    expect(await admin("create-workspace", "w1")).toEqual({ code: 0, stdout: "created workspace w1\n", stderr: "" });
    expect((await admin("create-machine", "m1", "--workspace", "w1")).code).toBe(0);
    const token = (await admin("create-token", "--workspace", "w1")).stdout.trimEnd().split("\n").at(-1) ?? "";

    const again = await admin("create-workspace", "w1");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^wsctl admin: workspace w1 already exists/);

    const listed = await admin("list", "--json");
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as Record<string, unknown>;
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
    expect(list.machines).toMatchObject([{ machine_id: "m1", workspace_id: "w1", is_default: true }]);
    expect(list.tokens).toMatchObject([{ kind: "api", workspace_ids: ["w1"] }]);

    const store = await openStore(db.url);
    try {
      expect((await store.findTokenByHash(hashToken(token)))?.workspaceIds).toEqual(["w1"]);
    } finally {
      await store.close();
    }
  });
});
