/**
 * The adapter for Node's error codes: the one place in `client/` that reads
 * the `code` of an error thrown by `fs`, `process.kill` or `child_process`.
 */

/**
 * The string `code` of a Node.js error: a system errno such as `ENOENT`,
 * `EPERM` or `EACCES`, or one of Node's own (`ABORT_ERR`, `ERR_PARSE_ARGS_…`).
 * Undefined for anything else, including a child's numeric exit status.
 */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` is a Node.js error with this code, e.g. `isErrno(error, "ENOENT")`. */
export function isErrno(error: unknown, code: string): boolean {
  return errnoOf(error) === code;
}

/** What to put in a log line about a failed system call: its errno when it has one, else its message. */
export function errnoOrMessage(error: unknown): string {
  return errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
}
