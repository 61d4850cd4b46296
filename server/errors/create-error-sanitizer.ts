import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * An interceptor that lets ConnectErrors through and turns every other error
 * into `internal` with a fixed message, so no stack trace, SQL or server path
 * ever reaches a caller. The original goes to `log`. Install it first (outermost).
 */
export function createErrorSanitizer(log: (message: string, error: unknown) => void = () => {}): Interceptor {
  function sanitize(error: unknown): unknown {
    if (error instanceof ConnectError) return error;
    log("internal error", error);
    return new ConnectError("internal error", Code.Internal);
  }
  async function* sanitizeStream<T>(source: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* source;
    } catch (error) {
      throw sanitize(error);
    }
  }
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: sanitizeStream(res.message) };
    } catch (error) {
      throw sanitize(error);
    }
  };
}
