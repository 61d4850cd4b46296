import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import type { FieldViolation } from "../../../server/errors/bad-request.js";

/**
 * Runs `fn`, expects it to throw `invalid_argument` with exactly one
 * `google.rpc.BadRequest` detail, and returns that detail's violations.
 */
export function violationsOf(fn: () => unknown): FieldViolation[] {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConnectError);
  const err = thrown as ConnectError;
  expect(err.code).toBe(Code.InvalidArgument);
  const details = err.findDetails(BadRequestSchema);
  expect(details).toHaveLength(1);
  return details[0]!.fieldViolations.map((v) => ({ field: v.field, description: v.description }));
}
