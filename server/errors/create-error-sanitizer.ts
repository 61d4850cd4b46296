import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { tapStream } from "../streams/tap-stream.js";

/** Error codes of Node streams and sockets that mean the peer went away, not that we failed. */
const goneCodes = new Set(["ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE", "ERR_HTTP2_STREAM_CANCEL", "ERR_STREAM_DESTROYED", "ABORT_ERR"]);

/**
 * An interceptor that lets ConnectErrors through and turns every other error
 * into `internal` with a fixed message, so no stack trace, SQL or server path
 * ever reaches a caller. The original goes to `log`. An error that only says
 * the client went away (its signal aborted, a premature close, a reset) is
 * `canceled` instead, and not logged: the access line reports it, at info.
 * Install it right after the observing interceptor.
 */
export function createErrorSanitizer(log: (message: string, error: unknown) => void = () => {}): Interceptor {
  function sanitize(error: unknown, signal: AbortSignal): unknown {
    if (error instanceof ConnectError) return error;
    const code = (error as { code?: unknown } | undefined)?.code;
    // Aborted by the server (its shutdown): the abort's own reason says why.
    if (signal.aborted && signal.reason instanceof ConnectError) return signal.reason;
    if (signal.aborted || (typeof code === "string" && goneCodes.has(code)) || (error as Error | undefined)?.name === "AbortError") {
      return new ConnectError("the client went away", Code.Canceled, undefined, undefined, error);
    }
    log("internal error", error);
    return new ConnectError("internal error", Code.Internal);
  }
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: tapStream(res.message, { error: (error) => sanitize(error, req.signal) }) };
    } catch (error) {
      throw sanitize(error, req.signal);
    }
  };
}
