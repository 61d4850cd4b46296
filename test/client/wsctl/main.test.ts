import { describe, expect, it } from "vitest";
import { main } from "../../../client/wsctl/main.js";
import { packageInfo } from "../../../client/package-info.js";
import { noCredentialsDir, runCli } from "../fake-workspace-server.js";

const version = `wsctl ${packageInfo().version}\n`;

describe("main", () => {
  it.each([
    [["--version"]],
    [["-V"]],
    ...["serve", "daemon", "admin", "launch", "watch", "sessions", "machines", "stop", "send", "tokens"].map((c) => [[c, "--version"]]),
    [["daemon", "register", "--version"]],
    [["daemon", "status", "--version"]],
    [["daemon", "prune-worktrees", "--version"]],
    [["admin", "create-token", "--version"]],
    [["tokens", "list", "--version"]],
    [["sessions", "--workspace", "acme", "--version"]],
  ])("prints the version for %j and exits 0, starting nothing", async (argv) => {
    expect(await runCli((args, io) => main(args, io), argv)).toEqual({ code: 0, stdout: version, stderr: "" });
  });

  it("takes --version after -- as an argument, not the flag", async () => {
    const run = await runCli((args, io) => main(args, io), ["send", "--workspace", "acme", "s1", "--", "--version"], { cwd: noCredentialsDir });
    expect(run.stdout).not.toBe(version);
    expect(run.code).toBe(2);
  });

  it("knows no command named after an Object.prototype member", async () => {
    const run = await runCli((args, io) => main(args, io), ["toString", "--version"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^wsctl: unknown command "toString"/);
  });

  it("says in its help that every command takes --version and that client verbs have dev-mode defaults", async () => {
    const run = await runCli((args, io) => main(args, io), ["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"--version" prints the version');
    expect(run.stdout).toContain("data/credentials.json");
  });
});
