import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTokenFile, readTokenFile, resolveMachineToken } from "../../../client/daemon/resolve-machine-token.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-token-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tokenFile(name: string, text: string, mode: number): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  await chmod(file, mode);
  return file;
}

describe("resolveMachineToken", () => {
  it("prefers --token-file, then --token with a warning, then WSCTL_TOKEN, then the state directory's file", async () => {
    const file = await tokenFile("a", "wsm_from_file\n", 0o600);
    const stateDir = path.join(dir, "state");
    await mkdir(stateDir);
    await tokenFile("state/machine-token", "wsm_default", 0o600);
    expect(await resolveMachineToken({ file, env: "wsm_env", stateDir })).toEqual({ token: "wsm_from_file", source: `--token-file ${file}`, warnings: [] });
    const flag = await resolveMachineToken({ flag: "wsm_flag", env: "wsm_env", stateDir });
    expect(flag.token).toBe("wsm_flag");
    expect(flag.warnings.join()).toContain("ps");
    expect(await resolveMachineToken({ env: "wsm_env", stateDir })).toMatchObject({ token: "wsm_env", source: "WSCTL_TOKEN" });
    expect(await resolveMachineToken({ stateDir })).toMatchObject({ token: "wsm_default", source: defaultTokenFile(stateDir) });
  });

  it("says what to do when there is no token at all, or two", async () => {
    await expect(resolveMachineToken({ stateDir: path.join(dir, "empty") })).rejects.toThrow(
      /no machine token: run "wsctl daemon register" \(it writes .*machine-token\), pass --token-file FILE, or set WSCTL_TOKEN/,
    );
    await expect(resolveMachineToken({ file: "f", flag: "t", stateDir: dir })).rejects.toThrow(/not both/);
  });

  it("passes over an API token in WSCTL_TOKEN, with a warning, for the state directory's file", async () => {
    const stateDir = path.join(dir, "state-api");
    await mkdir(stateDir);
    await tokenFile("state-api/machine-token", "wsm_registered", 0o600);
    const resolved = await resolveMachineToken({ env: "wsa_exported_for_clients", stateDir });
    expect(resolved).toMatchObject({ token: "wsm_registered", source: defaultTokenFile(stateDir) });
    expect(resolved.warnings).toEqual(["WSCTL_TOKEN holds an API token (wsa_...), not a machine token: it is ignored"]);
    await expect(resolveMachineToken({ env: "wsa_x", stateDir: path.join(dir, "none") })).rejects.toThrow(/no machine token/);
  });
});

describe("readTokenFile", () => {
  it("refuses a file others may read or write, naming the fix", async () => {
    for (const mode of [0o644, 0o640, 0o606, 0o660]) {
      const file = await tokenFile(`m${mode.toString(8)}`, "wsm_x", mode);
      await expect(readTokenFile(file)).rejects.toThrow(`chmod 600 ${file}`);
    }
    expect(await readTokenFile(await tokenFile("ok400", "  wsm_ok \n", 0o400))).toBe("wsm_ok");
  });

  it("refuses a directory, a missing file and a file that is not one token", async () => {
    await expect(readTokenFile(dir)).rejects.toThrow(/not a regular file/);
    await expect(readTokenFile(path.join(dir, "missing"))).rejects.toThrow(/ENOENT/);
    await expect(readTokenFile(await tokenFile("two", "wsm_a\nwsm_b", 0o600))).rejects.toThrow(/one token/);
    await expect(readTokenFile(await tokenFile("empty", "\n", 0o600))).rejects.toThrow(/one token/);
  });
});
