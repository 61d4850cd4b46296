import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runApprovals } from "../../../client/wsctl/approvals-command.js";
import { PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";
import type { ListPendingPermissionRequestsRequest } from "../../../gen/workspaces/v1/permission_service_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("runApprovals", () => {
  let server: FakeWorkspaceServer;
  let last: ListPendingPermissionRequestsRequest | undefined;
  const now = Date.now();

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      permissions: {
        listPendingPermissionRequests(req) {
          last = req;
          if (req.sessionId === "quiet") return { requests: [] };
          return {
            requests: [
              create(PermissionRequestSchema, {
                requestId: "prq_1",
                sessionId: "s1",
                workspaceId: req.workspaceId,
                toolName: "Bash",
                input: { command: "npm   test\n-- login", description: "run the tests" },
                createTime: timestampFromMs(now - 95_000),
                expireTime: timestampFromMs(now + 505_000),
              }),
              create(PermissionRequestSchema, {
                requestId: "prq_2",
                sessionId: "s2",
                workspaceId: req.workspaceId,
                toolName: "Edit",
                input: { file_path: "src/a.ts", old_string: "a", new_string: "b" },
                createTime: timestampFromMs(now - 4_000),
                expireTime: timestampFromMs(now - 1_000),
              }),
            ],
          };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" });

  it("lists the pending requests as a table: session, request, tool, its telling argument, age and expiry", async () => {
    const run = await runCli(runApprovals, ["--workspace", "acme"], { env: env() });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^SESSION\s+REQUEST\s+TOOL\s+INPUT\s+AGE\s+EXPIRES$/);
    expect(lines[1]).toMatch(/^s1\s+prq_1\s+Bash\s+npm test -- login\s+1m\s+in 8m$/);
    expect(lines[2]).toMatch(/^s2\s+prq_2\s+Edit\s+src\/a\.ts\s+[45]s\s+overdue$/);
    expect(last).toMatchObject({ workspaceId: "acme", sessionId: "" });
  });

  it("passes --session, says when nothing waits, and prints JSON with proto names", async () => {
    expect(await runCli(runApprovals, ["--workspace", "acme", "--session", "quiet"], { env: env() })).toEqual({
      code: 0,
      stdout: "no pending permission requests in session quiet\n",
      stderr: "",
    });
    expect(last?.sessionId).toBe("quiet");
    const json = JSON.parse((await runCli(runApprovals, ["--workspace", "acme", "--json"], { env: env() })).stdout);
    expect(json.requests).toHaveLength(2);
    expect(json.requests[0]).toMatchObject({ request_id: "prq_1", session_id: "s1", tool_name: "Bash", input: { command: "npm   test\n-- login" } });
  });

  it("needs a workspace and takes no positional argument", async () => {
    expect((await runCli(runApprovals, [], { env: env() })).code).toBe(2);
    expect((await runCli(runApprovals, ["--workspace", "acme", "s1"], { env: env() })).code).toBe(2);
    expect((await runCli(runApprovals, ["--help"], { env: env() })).stdout).toContain("Usage: wsctl approvals");
  });
});
