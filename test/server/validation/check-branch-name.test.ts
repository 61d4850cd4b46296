import { describe, expect, it } from "vitest";
import { checkBranchName } from "../../../server/validation/check-branch-name.js";

describe("checkBranchName", () => {
  it.each([
    "main",
    "feature/login",
    "fix-123",
    "release/v1.2.3",
    "user_name/topic.part",
    "a",
    "x".repeat(200),
    "a/b/c/d",
    "v1.0-rc.1",
    "lock",
    "a.locked",
    "my.lock.file",
    "a-/b_",
  ])("accepts %j", (value) => {
    expect(checkBranchName(value)).toBeUndefined();
  });

  const LENGTH = "must be a safe git branch name: 1-200 characters";
  const CHARSET = /^must be a safe git branch name: only ASCII letters, digits/;
  const LEADING = "must be a safe git branch name: no leading '-', '/' or '.'";
  const TRAILING = "must be a safe git branch name: no trailing '/', '.' or '.lock'";
  const COMPONENT = "must be a safe git branch name: no path component starting with '.' or ending with '.lock'";

  it.each<[string, string, string | RegExp]>([
    ["empty", "", LENGTH],
    ["201 characters", "x".repeat(201), LENGTH],
    ["..", "a..b", "must be a safe git branch name: no '..'"],
    [".. as a component", "a/../b", "must be a safe git branch name: no '..'"],
    ["leading -", "-b", LEADING],
    ["leading --flag", "--force", LEADING],
    ["leading /", "/main", LEADING],
    ["leading .", ".hidden", LEADING],
    ["trailing /", "feature/", TRAILING],
    ["trailing .", "feature.", TRAILING],
    ["trailing .lock", "main.lock", TRAILING],
    ["only .lock", ".lock", LEADING],
    ["component starting with .", "feature/.hidden", COMPONENT],
    ["component ending with .lock", "feature.lock/x", COMPONENT],
    ["component that is .lock", "a/.lock/b", COMPONENT],
    ["//", "feature//x", "must be a safe git branch name: no '//'"],
    ["space", "my branch", CHARSET],
    ["tab", "my\tbranch", CHARSET],
    ["newline", "main\n", CHARSET],
    ["carriage return", "main\r", CHARSET],
    ["no-break space", "my\u00a0branch", CHARSET],
    ["ideographic space", "my\u3000branch", CHARSET],
    ["NUL", "a\0b", CHARSET],
    ["control char", "a\u0001b", CHARSET],
    ["escape", "a\u001b[31m", CHARSET],
    ["DEL", "a\u007fb", CHARSET],
    ["~", "a~1", CHARSET],
    ["^", "a^2", CHARSET],
    [":", "a:b", CHARSET],
    ["?", "a?", CHARSET],
    ["*", "a*", CHARSET],
    ["[", "a[b", CHARSET],
    ["backslash", "a\\b", CHARSET],
    ["@{", "main@{1}", CHARSET],
    ["@ alone", "@", CHARSET],
    ["shell metacharacters", "a;rm -rf", CHARSET],
    ["Cyrillic look-alike", "m\u0430in", CHARSET],
    ["fullwidth solidus look-alike", "feature\uff0fx", CHARSET],
    ["division slash look-alike", "feature\u2215x", CHARSET],
    ["one dot leader look-alike", "a\u2024b", CHARSET],
    ["non-breaking hyphen look-alike", "fix\u2011123", CHARSET],
    ["zero-width space", "ma\u200bin", CHARSET],
    ["accented letter", "caf\u00e9", CHARSET],
    ["HEAD", "HEAD", "must be a safe git branch name: not 'HEAD'"],
  ])("rejects %s", (_name, value, description) => {
    const got = checkBranchName(value);
    if (typeof description === "string") expect(got).toBe(description);
    else expect(got).toMatch(description);
  });

  it("names the allowed characters and the forbidden ones in the charset description", () => {
    expect(checkBranchName("a b")).toBe(
      "must be a safe git branch name: only ASCII letters, digits, '.', '_', '-' and '/' (no whitespace, control or non-ASCII characters, none of ~ ^ : ? * [ \\ @)",
    );
  });
});
