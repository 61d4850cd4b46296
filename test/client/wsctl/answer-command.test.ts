import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runApprove, runDeny } from "../../../client/wsctl/answer-command.js";
import { type PermissionRequest, PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";
import type { AnswerPermissionRequestRequest } from "../../../gen/workspaces/v1/permission_service_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("runAnswer", () => {
  let server: FakeWorkspaceServer;
  const answers: AnswerPermissionRequestRequest[] = [];
  // One request, decided by the first answer, like the server's first-answer-wins update.
  let decided: PermissionRequest | undefined;

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      permissions: {
        answerPermissionRequest(req) {
          answers.push(req);
          if (req.requestId === "prq_missing") throw new ConnectError("permission request prq_missing not found", Code.NotFound);
          if (decided) {
            throw new ConnectError(`permission request ${req.requestId} was already decided: ${decided.decision} by ${decided.decidedBy}`, Code.FailedPrecondition, undefined, [
              { desc: PermissionRequestSchema, value: decided },
            ]);
          }
          decided = create(PermissionRequestSchema, {
            requestId: req.requestId,
            sessionId: req.sessionId,
            toolName: "Bash",
            input: { command: "rm -rf build" },
            decision: req.decision,
            decidedBy: "tok_alice",
            decideTime: timestampFromMs(Date.UTC(2025, 0, 2, 3, 4, 5)),
            message: req.message ?? "",
            remember: req.remember,
          });
          return { request: decided };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" });

  it("approves with --remember, saying what was allowed, by whom and when", async () => {
    decided = undefined;
    const run = await runCli(runApprove, ["--workspace", "acme", "s1", "prq_1", "--remember"], { env: env() });
    expect(run).toEqual({
      code: 0,
      stdout: "request prq_1: allowed Bash(rm -rf build) by tok_alice at 2025-01-02T03:04:05Z, remembered for this session\n",
      stderr: "",
    });
    expect(answers.at(-1)).toMatchObject({ workspaceId: "acme", sessionId: "s1", requestId: "prq_1", decision: "allow", remember: true });
    expect(answers.at(-1)?.message).toBeUndefined();
  });

  it("denies with a message, and prints JSON with proto names", async () => {
    decided = undefined;
    const run = await runCli(runDeny, ["--workspace", "acme", "s1", "prq_2", "--message", "run the unit tests only", "--json"], { env: env() });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).request).toMatchObject({ request_id: "prq_2", decision: "deny", decided_by: "tok_alice", message: "run the unit tests only" });
    expect(answers.at(-1)).toMatchObject({ decision: "deny", message: "run the unit tests only", remember: false });
  });

  it("says plainly that a second answer was not applied, with the first decision, and exits 1", async () => {
    decided = undefined;
    expect((await runCli(runDeny, ["--workspace", "acme", "s1", "prq_3"], { env: env() })).code).toBe(0);
    const run = await runCli(runApprove, ["--workspace", "acme", "s1", "prq_3"], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "wsctl approve: request prq_3 was already answered, this answer was not applied: permission request prq_3 was already decided: deny by tok_alice\n" +
        "  first answer: denied Bash(rm -rf build) by tok_alice at 2025-01-02T03:04:05Z\n",
    );
  });

  it("prints other errors as every verb does", async () => {
    const run = await runCli(runApprove, ["--workspace", "acme", "s1", "prq_missing"], { env: env() });
    expect(run).toMatchObject({ code: 1, stderr: "wsctl approve: not_found: permission request prq_missing not found\n" });
  });

  it("needs a workspace, a session and a request; --remember is for approve only", async () => {
    const count = answers.length;
    expect((await runCli(runApprove, ["s1", "prq_1"], { env: env() })).code).toBe(2);
    expect((await runCli(runApprove, ["--workspace", "acme", "s1"], { env: env() })).code).toBe(2);
    expect((await runCli(runApprove, ["--workspace", "acme", "s1", "prq_1", "x"], { env: env() })).code).toBe(2);
    expect((await runCli(runDeny, ["--workspace", "acme", "s1", "prq_1", "--remember"], { env: env() })).code).toBe(2);
    expect((await runCli(runDeny, ["--workspace", "acme", "s1", "prq_1", "--message", "x".repeat(4097)], { env: env() })).code).toBe(2);
    expect(answers.length).toBe(count);
    expect((await runCli(runDeny, ["--help"], { env: env() })).stdout).toContain("Usage: wsctl deny");
  });
});
