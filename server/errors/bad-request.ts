import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";

/** One bad field: its path in proto names (`session_settings.code.mode`) and why. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * An `invalid_argument` error carrying a `google.rpc.BadRequest` detail with one
 * field violation per bad field. The message names every field, so callers that
 * only read the message still learn which ones.
 */
export function badRequest(violations: readonly FieldViolation[]): ConnectError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })),
      }),
    },
  ]);
}
