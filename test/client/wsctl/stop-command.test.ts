import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStop } from "../../../client/wsctl/stop-command.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { StopResult, type StopWorkspaceSessionRequest } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("runStop", () => {
  let server: FakeWorkspaceServer;
  let last: { req: StopWorkspaceSessionRequest; timeoutMs: number | undefined } | undefined;

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      sessions: {
        stopWorkspaceSession(req, ctx) {
          last = { req, timeoutMs: ctx.timeoutMs() };
          const result =
            req.sessionId === "gone" ? StopResult.ALREADY_EXITED : req.sessionId === "far" ? StopResult.MACHINE_OFFLINE : StopResult.STOPPED;
          const session =
            result === StopResult.STOPPED
              ? {
                  sessionId: req.sessionId,
                  machineId: "m1",
                  state: SessionState.STOPPED,
                  exitCode: 143,
                  stoppedBy: "tok_alice",
                  stopTime: timestampFromMs(Date.UTC(2025, 0, 2, 3, 4, 5)),
                }
              : { sessionId: req.sessionId, machineId: "m1", state: SessionState.EXITED, exitCode: 143 };
          return { result, session };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" });

  it("stops the session, says how it ended, who stopped it and when, and exits 0", async () => {
    const run = await runCli(runStop, ["--workspace", "acme", "s1", "--grace", "5"], { env: env() });
    expect(run).toEqual({ code: 0, stdout: "stopped session s1: stopped (143) by tok_alice at 2025-01-02T03:04:05Z\n", stderr: "" });
    expect(last?.req).toMatchObject({ workspaceId: "acme", sessionId: "s1", graceSeconds: 5 });
    // The call may take the whole grace period, so its deadline is longer than it.
    expect(last?.timeoutMs).toBeGreaterThan(5000);
  });

  it("exits 0 for a session that had already ended and 1 when the machine is offline", async () => {
    expect(await runCli(runStop, ["--workspace", "acme", "gone"], { env: env() })).toMatchObject({
      code: 0,
      stdout: "session gone had already ended: exited (143)\n",
    });
    expect(last?.req.graceSeconds).toBe(0);
    expect(await runCli(runStop, ["--workspace", "acme", "far"], { env: env() })).toMatchObject({
      code: 1,
      stdout: "session far not stopped: machine m1 is offline\n",
    });
  });

  it("prints JSON with proto names", async () => {
    const run = await runCli(runStop, ["--workspace", "acme", "s1", "--json"], { env: env() });
    expect(JSON.parse(run.stdout)).toMatchObject({
      result: "STOP_RESULT_STOPPED",
      session: { session_id: "s1", state: "SESSION_STATE_STOPPED", exit_code: 143, stopped_by: "tok_alice", stop_time: "2025-01-02T03:04:05Z" },
    });
  });

  it("needs a workspace and exactly one session id, and a grace of 1-300", async () => {
    expect((await runCli(runStop, ["s1"], { env: env() })).code).toBe(2);
    expect((await runCli(runStop, ["--workspace", "acme"], { env: env() })).code).toBe(2);
    expect((await runCli(runStop, ["--workspace", "acme", "a", "b"], { env: env() })).code).toBe(2);
    expect((await runCli(runStop, ["--workspace", "acme", "a", "--grace", "301"], { env: env() })).code).toBe(2);
  });
});
