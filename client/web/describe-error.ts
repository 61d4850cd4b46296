import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";


/** One line for the user: the code, the message, and each bad field of a `google.rpc.BadRequest`. */
export function describeError(error: unknown): string {
  const e = ConnectError.from(error);
  let text = `${codeToString(e.code)}: ${e.rawMessage}`;
  for (const detail of e.findDetails(BadRequestSchema)) {
    for (const v of detail.fieldViolations) text += ` — ${v.field}: ${v.description}`;
  }
  return text;
}

/** True when the call ended because the page aborted it (a new selection, a new token). */
export function isAbort(error: unknown): boolean {
  return ConnectError.from(error).code === Code.Canceled;
}
