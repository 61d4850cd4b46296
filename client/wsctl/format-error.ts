import { ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";

/**
 * The one line a client verb prints for a failed call: `wsctl <verb>: <code>: <message>`.
 * Errors that are not ConnectErrors (a refused connection, a bad URL) become
 * `unavailable` or `unknown` the way Connect itself maps them.
 */
export function formatError(verb: string, error: unknown): string {
  const e = ConnectError.from(error);
  const message = e.rawMessage.replace(/\s*\n\s*/g, " ").trim() || "(no message)";
  return `wsctl ${verb}: ${codeToString(e.code)}: ${message}\n`;
}
