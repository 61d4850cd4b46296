import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentBranch } from "../../../client/daemon/run-git.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";

let temp: TempGitRepo;

beforeAll(async () => {
  temp = await createTempGitRepo();
});

afterAll(async () => {
  await temp.cleanup();
});

describe("currentBranch", () => {
  it("names the branch checked out, also from a subdirectory", async () => {
    expect(await currentBranch(temp.repo)).toBe("main");
    temp.git(["checkout", "-q", "-b", "feat/x"]);
    expect(await currentBranch(temp.repo)).toBe("feat/x");
    temp.git(["checkout", "-q", "main"]);
  });

  it("is empty with a detached HEAD", async () => {
    temp.git(["checkout", "-q", "--detach"]);
    try {
      expect(await currentBranch(temp.repo)).toBe("");
    } finally {
      temp.git(["checkout", "-q", "main"]);
    }
  });

  it("is empty outside a git repository", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "wsctl-plain-"));
    try {
      expect(await currentBranch(dir)).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
