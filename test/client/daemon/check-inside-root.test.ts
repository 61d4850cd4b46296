import { mkdir, mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkInsideRoot, isInside } from "../../../client/daemon/check-inside-root.js";

let base: string;
let root: string;
beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), "wsctl-inside-")));
  root = path.join(base, "root");
  await mkdir(path.join(root, ".worktrees", "real"), { recursive: true });
  await mkdir(path.join(base, "outside"));
  await symlink(path.join(base, "outside"), path.join(root, ".worktrees", "out"));
  await symlink(path.join(root, ".worktrees", "real"), path.join(root, ".worktrees", "in"));
  await symlink(path.join(base, "missing"), path.join(root, ".worktrees", "dangling"));
  await symlink("../..", path.join(root, ".worktrees", "up"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("checkInsideRoot", () => {
  it("passes paths that resolve inside the root, existing or not yet", async () => {
    expect(await checkInsideRoot(root, path.join(root, ".worktrees", "real"))).toBe(path.join(root, ".worktrees", "real"));
    expect(await checkInsideRoot(root, path.join(root, ".worktrees", "new", "deeper"))).toBeUndefined();
    expect(await checkInsideRoot(root, path.join(root, ".worktrees", "in"))).toBe(path.join(root, ".worktrees", "real"));
  });

  it("refuses links that lead out or nowhere, and paths not below the root", async () => {
    const cases = [
      path.join(root, ".worktrees", "out"),
      path.join(root, ".worktrees", "out", "below"),
      path.join(root, ".worktrees", "dangling"),
      path.join(root, ".worktrees", "up"),
      path.join(root, "..", "outside"),
      path.join(base, "outside"),
    ];
    for (const target of cases) await expect(checkInsideRoot(root, target), target).rejects.toMatchObject({ code: "worktree_outside_root" });
  });
});

describe("isInside", () => {
  it("tells a sibling with a common prefix from a child", () => {
    expect(isInside("/a/root", "/a/root")).toBe(true);
    expect(isInside("/a/root", "/a/root/x")).toBe(true);
    expect(isInside("/a/root", "/a/rootless")).toBe(false);
    expect(isInside("/a/root", "/a")).toBe(false);
  });
});
