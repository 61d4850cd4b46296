/**
 * A mistake in how a command was called (a missing or malformed argument):
 * every wsctl verb prints its message with a pointer to `--help` and exits 2.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
