import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSessionState, runSessions } from "../../../client/wsctl/sessions-command.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import type { ListWorkspaceSessionsRequest } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("parseSessionState", () => {
  it("accepts the short, upper-case and full enum names", () => {
    expect(parseSessionState("running")).toBe(SessionState.RUNNING);
    expect(parseSessionState("EXITED")).toBe(SessionState.EXITED);
    expect(parseSessionState("SESSION_STATE_FAILED")).toBe(SessionState.FAILED);
    expect(parseSessionState("stopped")).toBe(SessionState.STOPPED);
    expect(parseSessionState("awaiting_approval")).toBe(SessionState.AWAITING_APPROVAL);
    expect(() => parseSessionState("done")).toThrow(/one of pending, dispatched, running, awaiting_approval, exited, failed, stopped, unknown/);
    expect(() => parseSessionState("unspecified")).toThrow();
  });
});

describe("runSessions", () => {
  let server: FakeWorkspaceServer;
  const requests: ListWorkspaceSessionsRequest[] = [];
  // Five sessions, served two per page; the page token is the index of the next one.
  const all = ["s5", "s4", "s3", "s2", "s1"].map((id, i) => ({
    sessionId: id,
    workspaceId: "acme",
    machineId: "m1",
    state: i === 0 ? SessionState.RUNNING : SessionState.EXITED,
    provider: "claude_code",
    pid: i === 0 ? 100 : 0,
    ...(i === 0 ? {} : { exitCode: 0 }),
    createTime: timestampFromMs(Date.UTC(2025, 0, 1, 12, 0, 5 - i)),
  }));

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      sessions: {
        listWorkspaceSessions(req) {
          requests.push(req);
          const start = Number(req.pageToken || "0");
          const size = req.pageSize || 2;
          const next = start + size < all.length ? String(start + size) : "";
          return { sessions: all.slice(start, start + size), nextPageToken: next };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" });

  it("prints one page as a table and says how to get the next", async () => {
    const run = await runCli(runSessions, ["--workspace", "acme", "--state", "running", "--machine", "m1"], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")).toEqual([
      "SESSION  MACHINE  STATE       PROVIDER     MODEL  BRANCH  PID  CREATED",
      "s5       m1       running     claude_code  -      -       100  2025-01-01T12:00:05Z",
      "s4       m1       exited (0)  claude_code  -      -       -    2025-01-01T12:00:04Z",
      "",
    ]);
    expect(run.stderr).toBe("more sessions: add --page-token 2 or --all\n");
    expect(requests.at(-1)).toMatchObject({ workspaceId: "acme", state: SessionState.RUNNING, machineId: "m1", pageSize: 0 });
  });

  it("in dev mode takes the server, token and workspace from data/credentials.json", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "wsctl-dev-client-"));
    try {
      await mkdir(path.join(dir, "data"));
      const credentials = { workspace_id: "devws", machine_id: "local", api_token: "wsa_dev", machine_token: "wsm_dev", server_url: server.url1 };
      await writeFile(path.join(dir, "data/credentials.json"), JSON.stringify(credentials));
      const run = await runCli(runSessions, ["--limit", "1"], { env: {}, cwd: dir });
      expect(run.code).toBe(0);
      expect(requests.at(-1)).toMatchObject({ workspaceId: "devws", pageSize: 1 });
      const none = await runCli(runSessions, [], { env: { WSCTL_TOKEN: "wsa_mine" }, cwd: dir });
      expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/^wsctl sessions: --workspace W is required/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("follows page tokens with --all", async () => {
    requests.length = 0;
    const run = await runCli(runSessions, ["--workspace", "acme", "--all", "--json"], { env: env() });
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as { sessions: { session_id: string }[]; next_page_token: string };
    expect(body.sessions.map((s) => s.session_id)).toEqual(["s5", "s4", "s3", "s2", "s1"]);
    expect(body.next_page_token).toBe("");
    expect(requests.map((r) => r.pageToken)).toEqual(["", "2", "4"]);
  });

  it("passes --limit and --page-token through", async () => {
    const run = await runCli(runSessions, ["--workspace", "acme", "--limit", "3", "--page-token", "3", "--json"], { env: env() });
    expect(requests.at(-1)).toMatchObject({ pageSize: 3, pageToken: "3" });
    expect((JSON.parse(run.stdout) as { sessions: unknown[] }).sessions).toHaveLength(2);
  });

  it("rejects a bad --state or --limit with exit 2", async () => {
    expect((await runCli(runSessions, ["--workspace", "acme", "--state", "done"], { env: env() })).code).toBe(2);
    expect((await runCli(runSessions, ["--workspace", "acme", "--limit", "0"], { env: env() })).code).toBe(2);
    expect((await runCli(runSessions, [], { env: env() })).code).toBe(2);
  });
});
