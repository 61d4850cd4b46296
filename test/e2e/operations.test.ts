import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll-until.js";
import { seedRequest } from "./harness/seed-request.js";
import { spawnWsctl } from "./harness/spawn-wsctl.js";
import { type Stack, startStack } from "./harness/start-stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function wsctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnWsctl(args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe("wsctl serve and wsctl daemon in production", () => {
  it("carry a launch's request id from the caller through the server's access log into the daemon's log", async () => {
    const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json", "x-request-id": "e2e-launch-1" },
      body: JSON.stringify(seedRequest({ worktree_name: "ops" })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("e2e-launch-1");
    const { payload } = (await res.json()) as { payload: { session_id: string } };
    const access = await pollUntil(() =>
      jsonLines(stack.server.stderr()).find((l) => l.msg === "rpc" && l.request_id === "e2e-launch-1"),
    );
    expect(access).toMatchObject({
      method: "workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession",
      protocol: "rest",
      code: "ok",
      session_id: payload.session_id,
      machine_id: stack.machineId,
      workspace_id: stack.workspaceId,
    });
    expect(stack.server.stderr()).not.toContain(stack.apiToken);
    expect(stack.server.stderr()).not.toContain("Add a README");
    const daemonLines = await pollUntil(() => {
      const lines = jsonLines(stack.daemon!.stderr()).filter((l) => l.request_id === "e2e-launch-1");
      return lines.length >= 2 ? lines : undefined;
    });
    expect(daemonLines[0]).toMatchObject({ msg: "command received", kind: "launch", session_id: payload.session_id });
  });

  it("reports the daemon's own state with wsctl daemon status", async () => {
    const status = await wsctl(["daemon", "status", "--state-dir", path.join(stack.tmp, "daemon-state"), "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: "connected", running: true, server: stack.url, reconnects: 0 });
    expect(jsonLines(stack.daemon!.stderr()).some((l) => l.msg === "daemon state" && l.state === "connected")).toBe(true);
  });

  it("refuses a taken port before it creates the database, with a hint", async () => {
    const port = new URL(stack.url).port;
    const database = path.join(stack.tmp, "never.db");
    const run = await wsctl(["serve", "--listen", `127.0.0.1:${port}`, "--database", database]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `wsctl serve: cannot listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE): another process listens there\n` +
        "wsctl serve: hint: choose another --listen HOST:PORT, or --listen 127.0.0.1:0 for any free port\n",
    );
    expect(existsSync(database)).toBe(false);
  });

  it("prints the configuration a file, the environment and flags make, and names a bad key", async () => {
    const file = path.join(stack.tmp, "wsctl.json");
    await writeFile(file, JSON.stringify({ serve: { listen: "0.0.0.0:9000", "log-level": "debug", database: "postgres://u:pw@db/x" } }));
    const printed = await wsctl(["serve", "--config", file, "--listen", "127.0.0.1:9001", "--print-config"]);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout).serve).toMatchObject({ listen: "127.0.0.1:9001", "log-level": "debug", database: "postgres://u:***@db/x" });
    await writeFile(file, JSON.stringify({ serve: { "keepalive-ms": "often" } }));
    const bad = await wsctl(["serve", "--config", file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wsctl serve: serve.keepalive-ms: must be a whole number, got "often"\n');
  });
});
