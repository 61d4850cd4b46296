import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWatch } from "../../../client/wsctl/watch-command.js";
import { SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("runWatch", () => {
  let server: FakeWorkspaceServer;
  let lastAfter = -1n;
  // A session whose agent never ends: the stream stays open until the caller cancels.
  let release: (() => void) | undefined;

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      sessions: {
        async *watchWorkspaceSession(req, ctx) {
          lastAfter = req.afterSequence;
          if (req.sessionId === "nope") throw new ConnectError(`session ${req.sessionId} not found`, Code.NotFound);
          const base = { sessionId: req.sessionId, machineId: "m1" };
          const events = [
            { ...base, sequence: 1n, type: SessionEventType.ACCEPTED },
            { ...base, sequence: 2n, type: SessionEventType.DISPATCHED },
            { ...base, sequence: 3n, type: SessionEventType.RUNNING, state: SessionState.RUNNING },
          ];
          for (const e of events) if (e.sequence > req.afterSequence) yield e;
          if (req.sessionId === "forever") {
            await new Promise<void>((resolve) => {
              release = resolve;
              ctx.signal.addEventListener("abort", () => resolve());
            });
            return;
          }
          yield { ...base, sequence: 4n, type: SessionEventType.FAILED, state: SessionState.FAILED, message: "agent died" };
        },
      },
    });
  });

  afterAll(async () => {
    release?.();
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url2, WSCTL_TOKEN: "t", WSCTL_PROTOCOL: "grpc" });

  it("replays after --after and exits 1 when the session failed", async () => {
    const run = await runCli(runWatch, ["--workspace", "acme", "s1", "--after", "2"], { env: env() });
    expect(lastAfter).toBe(2n);
    expect(run).toEqual({ code: 1, stdout: "#3 running\n#4 failed: agent died\n", stderr: "" });
  });

  it("ends quietly with 130 when its signal aborts", async () => {
    const controller = new AbortController();
    let out = "";
    const done = runWatch(["--workspace", "acme", "forever"], {
      env: env(),
      isTTY: false,
      signal: controller.signal,
      stdout: (s) => {
        out += s;
        if (s.startsWith("#3")) controller.abort();
      },
      stderr: () => {},
    });
    expect(await done).toBe(130);
    expect(out).toBe("#1 accepted session forever on m1\n#2 dispatched to m1\n#3 running\n");
  });

  it("reports not_found as one line", async () => {
    const run = await runCli(runWatch, ["--workspace", "acme", "nope"], { env: env() });
    expect(run).toEqual({ code: 1, stdout: "", stderr: "wsctl watch: not_found: session nope not found\n" });
  });

  it("rejects a missing session id or a bad --after with exit 2", async () => {
    expect((await runCli(runWatch, ["--workspace", "acme"], { env: env() })).code).toBe(2);
    expect((await runCli(runWatch, ["--workspace", "acme", "s1", "--after", "-1"], { env: env() })).code).toBe(2);
  });
});
