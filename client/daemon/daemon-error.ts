/**
 * An error the daemon reports back to the server in an `error` acknowledgement:
 * a short machine-readable `code` (for example `worktree_failed`,
 * `binary_not_found`, `agent_exited`) and a human-readable message.
 */
export class DaemonError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "DaemonError";
    this.code = code;
  }
}

/** True for a DaemonError (also across module copies: checks the shape). */
export function isDaemonError(value: unknown): value is DaemonError {
  return (
    value instanceof DaemonError ||
    (value instanceof Error && value.name === "DaemonError" && typeof (value as { code?: unknown }).code === "string")
  );
}

/**
 * Any thrown value as a DaemonError: DaemonErrors pass through, everything else
 * becomes code `internal` with the error's message (never its stack).
 */
export function toDaemonError(value: unknown): DaemonError {
  if (isDaemonError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new DaemonError("internal", `internal error: ${message}`);
}

/** The last `maxChars` characters of `text`, trimmed, marked with `…` when cut. */
export function tail(text: string, maxChars: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= maxChars) return trimmed;
  return `…${trimmed.slice(trimmed.length - maxChars)}`;
}
