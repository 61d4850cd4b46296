import { Code } from "@connectrpc/connect";

/**
 * The one table mapping Connect codes to HTTP statuses, the same one the Connect
 * protocol uses. REST responses and anything else that speaks HTTP status codes
 * read it from here. A code's wire name (`invalid_argument`) is Connect's own
 * `codeToString` from `@connectrpc/connect/protocol-connect`.
 */
const table: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

// Integer keys enumerate in ascending order: the codes' own order.
const codes = Object.keys(table).map(Number) as Code[];

/** HTTP status for a Connect code; 500 for anything unknown. */
export function httpStatusFromCode(code: Code): number {
  return table[code] ?? 500;
}

/** The Connect codes the table maps to `status`, in the codes' order (for documentation). */
export function codesWithStatus(status: number): Code[] {
  return codes.filter((code) => table[code] === status);
}
