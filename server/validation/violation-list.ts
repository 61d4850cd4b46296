import type { FieldViolation } from "../errors/bad-request.js";

/**
 * Helpers the validators use to collect every field violation of a request.
 * The list is created on the first violation, so a valid request allocates
 * nothing for it: each helper takes the list so far (or `undefined`) and
 * returns it, possibly new.
 */
export type ViolationList = FieldViolation[] | undefined;

/** A field check: a description of what is wrong, or `undefined`. */
type FieldCheck = (value: string) => string | undefined;

const REQUIRED = "is required";
const EMPTY_OPTIONAL = "must not be empty; omit it or send null";

/** Appends one violation. */
export function addViolation(list: ViolationList, field: string, description: string): FieldViolation[] {
  const out = list ?? [];
  out.push({ field, description });
  return out;
}

/** A required string: "" is "is required", anything else goes through `check`. */
export function checkRequired(list: ViolationList, field: string, value: string, check: FieldCheck): ViolationList {
  if (value === "") return addViolation(list, field, REQUIRED);
  const description = check(value);
  return description === undefined ? list : addViolation(list, field, description);
}

/**
 * An optional string: `undefined` (absent or JSON null) is fine, "" is a
 * violation (send null instead), anything else goes through `check`.
 */
export function checkOptional(
  list: ViolationList,
  field: string,
  value: string | undefined,
  check: FieldCheck,
): ViolationList {
  if (value === undefined) return list;
  if (value === "") return addViolation(list, field, EMPTY_OPTIONAL);
  const description = check(value);
  return description === undefined ? list : addViolation(list, field, description);
}

/** A string where "" means "not given" (plain proto3 fields like filters). */
export function checkUnlessEmpty(list: ViolationList, field: string, value: string, check: FieldCheck): ViolationList {
  if (value === "") return list;
  const description = check(value);
  return description === undefined ? list : addViolation(list, field, description);
}
