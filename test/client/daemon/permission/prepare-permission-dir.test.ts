import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultPermissionServerCommand, setUpPermissions } from "../../../../client/daemon/permission/prepare-permission-dir.js";

let base: string;
let dir: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), "wsctl-prepare-"));
  dir = path.join(base, "s1.permissions");
});
afterEach(() => rm(base, { recursive: true, force: true }));

const policy = { mode: "default" as const, approval_timeout_ms: 60_000, default_decision: "deny" as const };
const server = { command: "/usr/bin/node", args: ["/opt/wsctl/dist/wsctl.js"] };

describe("setUpPermissions", () => {
  it("writes a fresh directory with the policy and Claude Code's --mcp-config naming the permission server", async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, "prq_old.request.json"), "{}");
    expect(setUpPermissions(dir, "claude_code", policy, server)).toEqual({ mode: "default", mcpConfigPath: path.join(dir, "mcp-config.json") });
    expect(existsSync(path.join(dir, "prq_old.request.json"))).toBe(false);
    expect(((await stat(dir)).mode & 0o777).toString(8)).toBe("700");
    expect(JSON.parse(readFileSync(path.join(dir, "policy.json"), "utf8"))).toEqual(policy);
    expect(JSON.parse(readFileSync(path.join(dir, "mcp-config.json"), "utf8"))).toEqual({
      mcpServers: {
        wsctl: {
          type: "stdio",
          command: "/usr/bin/node",
          args: ["/opt/wsctl/dist/wsctl.js", "daemon", "permission-server", "--dir", dir],
          env: {},
          // The approval timeout, the daemon's fallback (30 s), the permission server's margin (30 s), and 30 s more.
          timeout: 150_000,
        },
      },
    });
  });

  it("gives only the mode, and no directory, when nothing is relayed", async () => {
    await mkdir(dir);
    expect(setUpPermissions(dir, "claude_code", { ...policy, mode: "bypass_permissions" }, server)).toEqual({ mode: "bypass_permissions" });
    expect(setUpPermissions(dir, "codex", policy, server)).toEqual({ mode: "default" });
    expect(existsSync(dir)).toBe(false);
  });
});

describe("defaultPermissionServerCommand", () => {
  it("runs this checkout's wsctl with this Node", () => {
    const command = defaultPermissionServerCommand();
    expect(command.command).toBe(process.execPath);
    expect(command.args).toHaveLength(1);
    expect(command.args[0]).toMatch(/client\/wsctl\/wsctl\.js$/);
    expect(existsSync(command.args[0]!)).toBe(true);
  });
});
