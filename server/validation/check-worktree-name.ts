import { checkBranchName } from "./check-branch-name.js";
import type { RuleSchema } from "./field-rules.js";

/** Longest directory name a worktree gets under `.worktrees/` (a path component; Linux allows 255 bytes). */
const MAX_DIR_NAME = 200;

const PREFIX = "must be a worktree name the daemon can map to one directory: ";
const COLLISION_RULE = `${PREFIX}no '__', '_/' or '/_' (its directory is the name with each '/' replaced by '__', so 'a/b' and 'a__b' would share one)`;
const DIR_LENGTH_RULE = `${PREFIX}at most ${MAX_DIR_NAME} characters once each '/' counts twice (the directory name replaces '/' with '__')`;

/**
 * The directory a daemon gives the worktree of `name`, under `.worktrees/` in
 * the workspace directory: the name with each `/` replaced by `__` (the
 * daemon's `worktreeDirName`, which keeps the directory names of worktrees
 * made before this rule).
 */
export function worktreeDirName(name: string): string {
  return name.replaceAll("/", "__");
}

/**
 * Checks `worktree_name`: a safe branch name (`checkBranchName`) whose
 * worktree directory no other name shares and that fits in a path component.
 * Forbidding `__`, `_/` and `/_` makes the mapping one-to-one: every run of
 * `_` and `/` in an accepted name is a single character, so `_` maps to `_`
 * and `/` to `__` unambiguously. Returns the first rule broken, or undefined.
 */
export function checkWorktreeName(value: string): string | undefined {
  const branch = checkBranchName(value);
  if (branch !== undefined) return branch;
  if (value.includes("__") || value.includes("_/") || value.includes("/_")) return COLLISION_RULE;
  if (worktreeDirName(value).length > MAX_DIR_NAME) return DIR_LENGTH_RULE;
  return undefined;
}

/**
 * What `checkWorktreeName` accepts, as one JSON Schema pattern (ECMAScript,
 * with lookaheads): the branch rules of `checkBranchName` and the collision
 * rule. The directory length rule (each `/` counts twice) is no pattern; the
 * schema says at most 200 characters, which it implies. A property test keeps
 * pattern and check equal on every name whose directory fits.
 */
export const worktreeNameSchema: RuleSchema = {
  pattern: "^(?!HEAD$)(?![-/.])(?!.*(?:\\.\\.|//|/\\.|\\.lock/|__|_/|/_))(?!.*(?:[/.]|\\.lock)$)[A-Za-z0-9._/-]{1,200}$",
  minLength: 1,
  maxLength: MAX_DIR_NAME,
};
