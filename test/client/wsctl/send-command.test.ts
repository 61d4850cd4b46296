import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSend } from "../../../client/wsctl/send-command.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { TranscriptEntryKind, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import type { SendSessionMessageRequest } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("runSend", () => {
  let server: FakeWorkspaceServer;
  let last: { req: SendSessionMessageRequest; key: string | null } | undefined;

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      sessions: {
        sendSessionMessage(req, ctx) {
          last = { req, key: ctx.requestHeader.get("idempotency-key") };
          if (req.sessionId === "done") throw new ConnectError(`session done is exited: only a running session takes messages`, Code.FailedPrecondition);
          return {
            session: { sessionId: req.sessionId, state: SessionState.RUNNING },
            entry: { offset: 7n, role: TranscriptRole.USER, kind: TranscriptEntryKind.TEXT, text: req.text },
          };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" });

  it("sends the words as one message and says which transcript entry it became", async () => {
    const run = await runCli(runSend, ["--workspace", "acme", "s1", "now", "add", "tests", "--idempotency-key", "k1"], { env: env() });
    expect(run).toEqual({ code: 0, stdout: "sent to session s1 (transcript entry 7)\n", stderr: "" });
    expect(last?.req).toMatchObject({ workspaceId: "acme", sessionId: "s1", text: "now add tests" });
    expect(last?.key).toBe("k1");
  });

  it("prints JSON with proto names", async () => {
    const run = await runCli(runSend, ["--workspace", "acme", "s1", "hi", "--json"], { env: env() });
    expect(JSON.parse(run.stdout)).toMatchObject({ entry: { offset: "7", role: "TRANSCRIPT_ROLE_USER", text: "hi" } });
    expect(last?.key).toBeNull();
  });

  it("exits 1 with the code for a session that is not running", async () => {
    const run = await runCli(runSend, ["--workspace", "acme", "done", "hello?"], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^wsctl send: failed_precondition: session done is exited/);
  });

  it("needs a workspace, a session and a text", async () => {
    expect((await runCli(runSend, ["s1", "hi"], { env: env() })).code).toBe(2);
    expect((await runCli(runSend, ["--workspace", "acme"], { env: env() })).code).toBe(2);
    expect((await runCli(runSend, ["--workspace", "acme", "s1"], { env: env() })).code).toBe(2);
  });
});
