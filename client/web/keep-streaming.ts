import { Code, ConnectError } from "@connectrpc/connect";
import { describeError, isAbort } from "./describe-error.js";

/** Errors a retry cannot fix: following stops and the error is shown. */
const finalCodes = new Set([Code.NotFound, Code.Unauthenticated, Code.PermissionDenied, Code.InvalidArgument]);

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export interface KeepStreamingOptions {
  signal: AbortSignal;
  /** What is followed, for the error line: `Following session …`. */
  what: string;
  onError: (message: string) => void;
  /** Whether a stream that ends by itself is done (a session's watch ends at its terminal event); else it is opened again. */
  endIsDone: boolean;
}

/**
 * Runs `stream` and opens it again after it fails (or ends, unless
 * `endIsDone`), with exponential backoff from 0.5 to 10 s, until `signal`
 * aborts. `stream` calls `connected()` on each message, which resets the
 * backoff. Errors a retry cannot fix (not found, bad token or argument) are
 * shown and end it; others are shown with "(reconnecting)".
 */
export async function keepStreaming(options: KeepStreamingOptions, stream: (connected: () => void) => Promise<void>): Promise<void> {
  const { signal } = options;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      await stream(() => {
        attempt = 0;
      });
      if (options.endIsDone) return;
    } catch (error) {
      if (signal.aborted || isAbort(error)) return;
      const final = finalCodes.has(ConnectError.from(error).code);
      options.onError(`${options.what}: ${describeError(error)}${final ? "" : " (reconnecting)"}`);
      if (final) return;
    }
    await delay(Math.min(500 * 2 ** attempt, 10_000), signal);
  }
}
