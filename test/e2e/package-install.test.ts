import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRequest } from "./harness/seed-request.js";
import { repoRoot } from "./harness/spawn-wsctl.js";
import { type Stack, startStack } from "./harness/start-stack.js";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
// npm settings of an `npm test` parent (npm_config_*) must not reach the install.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));

let tmp: string;
let app: string;
let skipReason: string | undefined;

// The package as an operator gets it: `npm pack`, unpacked into an empty folder,
// `npm install --omit=dev --offline` there (the tarball's npm-shrinkwrap.json
// pins the tree, so the npm cache is enough), then the installed dist/wsctl.js.
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "wsctl-package-"));
  app = path.join(tmp, "app");
  await mkdir(app);
  if (!existsSync(path.join(repoRoot, "dist/web/index.html"))) throw new Error("dist/web is missing: run `npm run build` (npm ci does)");
  // A fresh bundle of the sources under test; the page is left as built (other suites serve it).
  await run(process.execPath, ["build/bundle-cli.mjs"], { cwd: repoRoot });
  await run(process.execPath, ["build/shrinkwrap.mjs", "add"], { cwd: repoRoot });
  let tarball: string;
  try {
    const { stdout } = await run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: repoRoot, env });
    tarball = path.join(tmp, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  } finally {
    await run(process.execPath, ["build/shrinkwrap.mjs", "remove"], { cwd: repoRoot });
  }
  await run("tar", ["-xzf", tarball, "-C", app, "--strip-components=1"]);
  try {
    await run(npm, ["install", "--omit=dev", "--offline", "--no-audit", "--no-fund"], { cwd: app, env, maxBuffer: 16 << 20 });
  } catch (error) {
    const message = String((error as { stderr?: string }).stderr ?? error);
    if (process.env.CI !== "true" && message.includes("ENOTCACHED")) {
      skipReason = "the npm cache lacks some of the package's dependencies (run `npm ci` once with the registry reachable)";
      console.warn(`package-install: skipped: ${skipReason}`);
      return;
    }
    throw error;
  }
}, 600_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the compiled bin, the built page, the descriptors and the .proto files", async (t) => {
    if (skipReason) t.skip(skipReason);
    for (const file of ["dist/wsctl.js", "dist/web/index.html", "dist/descriptors.binpb", "proto/workspaces/v1/daemon_service.proto", "third_party/proto/google/api/annotations.proto", "npm-shrinkwrap.json"]) {
      expect(existsSync(path.join(app, file)), file).toBe(true);
    }
    expect(existsSync(path.join(app, "server"))).toBe(false);
  });

  it("installs with --omit=dev and no development dependency", async (t) => {
    if (skipReason) t.skip(skipReason);
    const installed = await readdir(path.join(app, "node_modules"));
    expect(installed).toContain("better-sqlite3");
    for (const dev of ["tsx", "vite", "vitest", "typescript", "esbuild", "@biomejs"]) expect(installed).not.toContain(dev);
  });

  it("prints its version through the compiled bin", async (t) => {
    if (skipReason) t.skip(skipReason);
    const { stdout } = await run(process.execPath, [path.join(app, "dist/wsctl.js"), "--version"]);
    expect(stdout).toMatch(/^wsctl \d+\.\d+\.\d+\n$/);
  });
});

describe("the installed wsctl", () => {
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stop();
  });

  it("serves, runs a daemon and launches", { timeout: 60_000 }, async (t) => {
    if (skipReason) t.skip(skipReason);
    stack = await startStack({ wsctlBin: path.join(app, "dist/wsctl.js") });
    const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify(seedRequest({ worktree_name: "from-the-package" })),
    });
    const body = (await res.json()) as { status: string; payload: Record<string, unknown> };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.payload).toMatchObject({ workspace_id: stack.workspaceId, machine_id: stack.machineId, branch: "from-the-package" });
    const page = await fetch(`${stack.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    // The document is described from the installed package too (gen/descriptor_set.ts is in the bundle).
    const api = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    expect(api.paths["/api/v1/workspaces/{workspace_id}/sessions"]?.post?.summary).toMatch(/^LaunchWorkspaceSession starts a session/);
  });
});
