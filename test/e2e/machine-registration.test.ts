import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { seedRequest } from "./harness/seed-request.js";
import { spawnWsctl, standInDaemonArgs, type WsctlProcess } from "./harness/spawn-wsctl.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { waitForSessionState } from "./harness/wait-for-session-state.js";

let stack: Stack;
const daemons: WsctlProcess[] = [];
beforeAll(async () => {
  stack = await startStack({ daemon: false });
}, 60_000);
afterAll(async () => {
  for (const daemon of daemons) await daemon.stop();
  await stack?.stop();
});

/** `wsctl daemon register` with the API token in WSCTL_TOKEN; resolves with its exit code and output. */
async function register(stateDir: string, registerToken: string, name = "laptop") {
  const run = spawnWsctl(["daemon", "register", "--server", stack.url, "--workspace", stack.workspaceId, "--name", name, "--state-dir", stateDir], {
    env: { WSCTL_TOKEN: registerToken },
  });
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** `wsctl daemon --server URL` with no token option and no WSCTL_TOKEN: it reads the state dir's file. */
function startDaemon(stateDir: string): WsctlProcess {
  const env: NodeJS.ProcessEnv = { STANDIN_RECORD_DIR: stack.recordDir, WSCTL_TOKEN: "" };
  const args = standInDaemonArgs({ workspaceId: stack.workspaceId, repoDir: stack.repoDir, stateDir, startupWindowMs: 300 });
  const daemon = spawnWsctl(["daemon", "--server", stack.url, ...args], { env });
  daemons.push(daemon);
  return daemon;
}

async function launch(machineId: string) {
  const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify({ ...seedRequest(), machine_id: machineId }),
  });
  return { status: res.status, body: (await res.json()) as { status: string; payload: Record<string, unknown> } };
}

describe("wsctl daemon register", () => {
  it("registers a machine whose daemon then runs with no token option, and a re-registration cuts the old daemon off", async () => {
    const out = await stack.admin("create-token", "--workspace", stack.workspaceId, "--scope", "machines:register", "--label", "e2e");
    const registerToken = out.trim().split("\n").at(-1)!;
    expect(out).toContain("scopes: machines:register");

    // A token without the scope is refused, and nothing is written.
    const refused = await register(path.join(stack.tmp, "refused"), stack.apiToken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/permission_denied: .*machines:register/);
    await expect(stat(path.join(stack.tmp, "refused", "machine-token"))).rejects.toMatchObject({ code: "ENOENT" });

    const firstDir = path.join(stack.tmp, "state-1");
    const first = await register(firstDir, registerToken);
    expect(first).toMatchObject({ code: 0, stdout: "laptop\n" });
    const tokenFile = path.join(firstDir, "machine-token");
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);

    const oldDaemon = startDaemon(firstDir);
    await oldDaemon.waitFor(/command stream open/);
    await stack.waitOnline("laptop", true);
    const launched = await launch("laptop");
    expect(launched.status).toBe(200);
    expect(launched.body).toMatchObject({ status: "ok", payload: { machine_id: "laptop" } });
    await waitForSessionState(stack, String(launched.body.payload.session_id), SessionState.RUNNING);

    // Re-registering (from another state dir, so the old daemon keeps its token) revokes the old token.
    const secondDir = path.join(stack.tmp, "state-2");
    const second = await register(secondDir, registerToken);
    expect(second).toMatchObject({ code: 0, stdout: "laptop\n" });
    expect(second.stderr).toContain("re-registered (revoked 1 older token(s))");
    await oldDaemon.waitFor(/refused the machine token \(Unauthenticated\)/, 10_000);

    const newDaemon = startDaemon(secondDir);
    await newDaemon.waitFor(/command stream open/, 20_000);
    await stack.waitOnline("laptop", true);
    expect((await launch("laptop")).body).toMatchObject({ status: "ok", payload: { machine_id: "laptop" } });
  }, 90_000);
});
