/**
 * Checks that a string is a safe git branch name, for `worktree_name`.
 *
 * Deliberately stricter than `git check-ref-format --branch`: only ASCII
 * letters, digits, `.`, `_`, `-` and `/` are allowed (no non-ASCII letters, so
 * no look-alike names), which already rules out whitespace, control characters,
 * DEL and `~ ^ : ? * [ \ @` (hence `@{` and the name `@`). On top of that the
 * structure rules git applies: no `..` or `//`, no leading `-`, `/` or `.`, no
 * trailing `/`, `.` or `.lock`, no path component starting with `.` or ending
 * with `.lock`, and not `HEAD`. At most 200 characters.
 *
 * Returns a description of the first rule broken, or `undefined`.
 */
export function checkBranchName(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_LENGTH) return LENGTH_RULE;
  if (!CHARSET.test(value)) return CHARSET_RULE;
  const first = value.charCodeAt(0);
  if (first === DASH || first === SLASH || first === DOT) return LEADING_RULE;
  const last = value.charCodeAt(value.length - 1);
  if (last === SLASH || last === DOT || value.endsWith(".lock")) return TRAILING_RULE;
  if (value.includes("..")) return DOT_DOT_RULE;
  if (value.includes("//")) return DOUBLE_SLASH_RULE;
  if (value.includes("/.") || value.includes(".lock/")) return COMPONENT_RULE;
  if (value === "HEAD") return HEAD_RULE;
  return undefined;
}

const MAX_LENGTH = 200;
const CHARSET = /^[A-Za-z0-9._/-]+$/;
const DASH = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;

const PREFIX = "must be a safe git branch name: ";
const LENGTH_RULE = `${PREFIX}1-${MAX_LENGTH} characters`;
const CHARSET_RULE = `${PREFIX}only ASCII letters, digits, '.', '_', '-' and '/' (no whitespace, control or non-ASCII characters, none of ~ ^ : ? * [ \\ @)`;
const LEADING_RULE = `${PREFIX}no leading '-', '/' or '.'`;
const TRAILING_RULE = `${PREFIX}no trailing '/', '.' or '.lock'`;
const DOT_DOT_RULE = `${PREFIX}no '..'`;
const DOUBLE_SLASH_RULE = `${PREFIX}no '//'`;
const COMPONENT_RULE = `${PREFIX}no path component starting with '.' or ending with '.lock'`;
const HEAD_RULE = `${PREFIX}not 'HEAD'`;
