import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSessions } from "../../../client/wsctl/sessions-command.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import type { ListWorkspaceSessionsRequest } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { type FakeWorkspaceServer, startFakeWorkspaceServer } from "../fake-workspace-server.js";

const at = (second: number) => timestampFromMs(Date.UTC(2025, 0, 1, 12, 0, second));
const session = (sessionId: string, state: SessionState, second: number, extra: Record<string, unknown> = {}) => ({
  sessionId,
  workspaceId: "acme",
  machineId: "m1",
  state,
  provider: "claude_code",
  createTime: at(1),
  updateTime: at(second),
  ...extra,
});

describe("watchSessions", () => {
  let server: FakeWorkspaceServer;
  const lists: ListWorkspaceSessionsRequest[] = [];
  let watchedWorkspace = "";

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      sessions: {
        listWorkspaceSessions(req) {
          lists.push(req);
          return { sessions: [session("s1", SessionState.RUNNING, 2, { pid: 9 })] };
        },
        async *watchWorkspaceSessions(req, ctx) {
          watchedWorkspace = req.workspaceId;
          yield { resync: true };
          yield {}; // a keep-alive prints nothing
          yield { session: session("s2", SessionState.PENDING, 3) };
          yield { session: session("s3", SessionState.RUNNING, 4, { machineId: "m2" }) };
          yield { session: session("s1", SessionState.EXITED, 5, { exitCode: 0 }) };
          yield { resync: true };
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  /** Runs `wsctl sessions` until it has printed `lines` lines on stdout, then presses Ctrl-C. */
  async function watchUntil(args: string[], lines: number): Promise<{ code: number; stdout: string; stderr: string }> {
    const controller = new AbortController();
    let stdout = "";
    let stderr = "";
    const code = await runSessions(args, {
      env: { WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" },
      isTTY: false,
      signal: controller.signal,
      stdout: (s) => {
        stdout += s;
        if (stdout.split("\n").length > lines) controller.abort();
      },
      stderr: (s) => {
        stderr += s;
      },
    });
    return { code, stdout, stderr };
  }

  it("lists the first page on each resync and prints one line per change until Ctrl-C", async () => {
    const run = await watchUntil(["--workspace", "acme", "--watch", "--limit", "5"], 8);
    expect(run.code).toBe(130);
    expect(watchedWorkspace).toBe("acme");
    expect(run.stdout.split("\n")).toEqual([
      "SESSION  MACHINE  STATE    PROVIDER     MODEL  BRANCH  PID  CREATED",
      "s1       m1       running  claude_code  -      -       9    2025-01-01T12:00:01Z",
      "2025-01-01T12:00:03Z  s2  m1  pending",
      "2025-01-01T12:00:04Z  s3  m2  running",
      "2025-01-01T12:00:05Z  s1  m1  exited (0)",
      "-- resynced: the sessions as they are now --",
      "SESSION  MACHINE  STATE    PROVIDER     MODEL  BRANCH  PID  CREATED",
      "s1       m1       running  claude_code  -      -       9    2025-01-01T12:00:01Z",
      "",
    ]);
    expect(run.stderr).toBe("watching for changes; Ctrl-C to stop\n");
    expect(lists.at(-1)).toMatchObject({ workspaceId: "acme", pageSize: 5, pageToken: "" });
  });

  it("applies --state and --machine to changes, yet shows a listed session leaving the filter", async () => {
    const run = await watchUntil(["--workspace", "acme", "--watch", "--state", "running", "--machine", "m1"], 3);
    expect(run.stdout.split("\n").slice(2)).toEqual(["2025-01-01T12:00:05Z  s1  m1  exited (0)", ""]);
    expect(lists.at(-1)).toMatchObject({ state: SessionState.RUNNING, machineId: "m1" });
  });

  it("prints one JSON object per line with --json", async () => {
    const run = await watchUntil(["--workspace", "acme", "--watch", "--json"], 5);
    const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ resync: true, sessions: [{ session_id: "s1", state: "SESSION_STATE_RUNNING" }] });
    expect(lines.slice(1, 4).map((l) => (l.session as { session_id: string }).session_id)).toEqual(["s2", "s3", "s1"]);
    expect(lines[3]).toMatchObject({ session: { exit_code: 0, update_time: "2025-01-01T12:00:05Z" } });
  });

  it("refuses --watch with --all or --page-token", async () => {
    const run = await watchUntil(["--workspace", "acme", "--watch", "--all"], 0);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--watch follows the first page");
  });
});
