import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkWorktreeName, worktreeDirName } from "../../../server/validation/check-worktree-name.js";

describe("checkWorktreeName", () => {
  it("accepts branch names whose worktree directory is theirs alone", () => {
    for (const name of ["feat/login", "docs/readme", "fix_1", "a/b_c/d", "release-2.0", "x".repeat(200)]) {
      expect(checkWorktreeName(name), name).toBeUndefined();
    }
  });

  it("refuses names that would share a directory with another, naming why", () => {
    for (const name of ["a__b", "a_/b", "a/_b", "x___y"]) expect(checkWorktreeName(name), name).toMatch(/'a\/b' and 'a__b' would share one/);
  });

  it("refuses names whose directory would be too long, and what checkBranchName refuses", () => {
    expect(checkWorktreeName(`${"a/".repeat(67)}a`)).toMatch(/at most 200 characters once each '\/' counts twice/);
    expect(checkWorktreeName("x".repeat(201))).toMatch(/1-200 characters/);
    expect(checkWorktreeName("../escape")).toMatch(/safe git branch name/);
  });

  it("maps accepted names to directories one-to-one (property)", () => {
    const name = fc.stringMatching(/^[a-z_/]{1,12}$/).filter((n) => checkWorktreeName(n) === undefined);
    let pairs = 0;
    fc.assert(
      fc.property(name, name, (a, b) => {
        pairs++;
        if (a !== b) expect(worktreeDirName(a)).not.toBe(worktreeDirName(b));
      }),
      { numRuns: 1000 },
    );
    console.log(`checkWorktreeName: ${pairs} pairs of accepted names over [a-z_/], no two sharing a directory`);
  });
});
