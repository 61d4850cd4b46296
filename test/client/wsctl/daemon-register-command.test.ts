import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readTokenFile } from "../../../client/daemon/resolve-machine-token.js";
import type { CliIo } from "../../../client/wsctl/cli-output.js";
import { runDaemonRegister } from "../../../client/wsctl/daemon-register-command.js";
import { hashToken } from "../../../server/auth/api-token.js";
import { scopedToken } from "../../server/services/service-fixtures.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";

let env: ListeningApp;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-register-"));
});
afterEach(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

async function register(args: string[], io: Partial<CliIo> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runDaemonRegister(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: {},
    isTTY: false,
    ...io,
  });
  return { code, stdout, stderr };
}

describe("runDaemonRegister", () => {
  it("asks for the API token when none is given, and writes the machine token to the state dir, mode 0600", async () => {
    env = await createListeningApp();
    const token = await scopedToken(env, ["machines:register"]);
    const prompts: string[] = [];
    const stateDir = path.join(dir, "state");
    const args = ["--server", env.url, "--workspace", "ws", "--name", "laptop", "--state-dir", stateDir];
    const readSecret = async (prompt: string) => {
      prompts.push(prompt);
      return ` ${token} `;
    };
    const run = await register(args, { readSecret });
    expect(run).toMatchObject({ code: 0, stdout: "laptop\n" });
    expect(prompts).toEqual(["API token (machines:register scope): "]);
    const file = path.join(stateDir, "machine-token");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const machineToken = await readTokenFile(file);
    expect(await env.store.findTokenByHash(hashToken(machineToken))).toMatchObject({ kind: "machine", machineId: "laptop" });
    expect(run.stdout + run.stderr).not.toContain(machineToken);
  });

  it("is a usage error with nobody to ask and no token given, and writes nothing", async () => {
    env = await createListeningApp();
    const stateDir = path.join(dir, "none");
    const run = await register(["--server", env.url, "--workspace", "ws", "--name", "laptop", "--state-dir", stateDir], {
      readSecret: async () => undefined,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no API token: pass --token-file FILE, set WSCTL_TOKEN/);
    await expect(stat(stateDir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
