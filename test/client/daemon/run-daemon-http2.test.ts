import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../../client/daemon/run-daemon.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { serveFakeDaemonService } from "./serve-fake-daemon-service.js";
import { createStandInAgents, type StandInAgents } from "./stand-in-agents.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";

// The same daemon as in run-daemon.test.ts, against a real HTTP/2 server with
// the default transports instead of an in-memory one.

const token = "machine-token-1";
let agents: StandInAgents;
let temp: TempGitRepo;
let repo: string;

beforeAll(async () => {
  agents = await createStandInAgents();
  temp = await createTempGitRepo();
  repo = temp.repo;
});

afterAll(async () => {
  await agents.cleanup();
  await temp.cleanup();
});

function launch(commandId: string, sessionId: string) {
  return {
    commandId,
    kind: { case: "launch" as const, value: { sessionId, workspaceId: "ws1", request: { workspaceId: "ws1" } } },
  };
}

describe("runDaemon over HTTP/2", () => {
  it.each(["grpc", "connect"] as const)("launches through a real server with the %s protocol", async (protocol) => {
    const server = await serveFakeDaemonService({ token });
    const { fake } = server;
    const abort = new AbortController();
    const done = runDaemon({
      server: server.url,
      token,
      protocol,
      workspaceRoots: new Map([["ws1", repo]]),
      stateDir: path.join(temp.base, `state-${protocol}`),
      bins: { claude: agents.sleeper, codex: agents.codex },
      startupWindowMs: 200,
      backoff: { initialMs: 10, maxMs: 50 },
      shutdownGraceMs: 200,
      signal: abort.signal,
      log: () => undefined,
    });
    try {
      await fake.waitForSubscribes(1);
      expect(fake.authorizations[0]).toBe(`Bearer ${token}`);
      fake.push(launch("c1", "s1"));
      const ack = await fake.waitForAck("c1");
      expect(ack).toMatchObject({ status: "ok", payload: { provider: "claude_code", work_dir: repo } });
      await fake.waitForReport("s1", SessionState.RUNNING);
    } finally {
      abort.abort();
      await done;
      await server.kill();
    }
    expect(fake.reports.map((r) => r.state)).toEqual([SessionState.RUNNING, SessionState.FAILED]);
  });
});
