import { Code } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";

/**
 * The one mapping of Connect codes to HTTP statuses, and it is Connect's own
 * (`codeToHttpStatus`, what the Connect protocol answers with), so REST and
 * Connect give the same error the same status. REST responses and anything
 * else that speaks HTTP status codes read it from here. A code's wire name
 * (`invalid_argument`) is Connect's `codeToString`.
 */
export function httpStatusFromCode(code: Code): number {
  return codeToHttpStatus(code);
}

// Every code, in the codes' order.
const codes = Object.values(Code).filter((c): c is Code => typeof c === "number");

/** The Connect codes mapped to `status`, in the codes' order (for documentation). */
export function codesWithStatus(status: number): Code[] {
  return codes.filter((code) => codeToHttpStatus(code) === status);
}

/** Every Connect code's wire name, in the codes' order: `canceled`, `unknown`, `invalid_argument`… */
export function allCodeNames(): string[] {
  return codes.map(codeToString);
}
