import { Code, ConnectError } from "@connectrpc/connect";

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * What is wrong with a workspace or machine id, or undefined when it is valid:
 * 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.
 * `what` names the id in the message ("workspace", "machine").
 */
export function idProblem(what: string, value: string): string | undefined {
  if (idPattern.test(value)) return undefined;
  return `invalid ${what} id ${JSON.stringify(value)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

/** Returns `value` when it is a valid id; throws `invalid_argument` saying why it is not. */
export function checkId(what: string, value: string): string {
  const problem = idProblem(what, value);
  if (problem !== undefined) throw new ConnectError(problem, Code.InvalidArgument);
  return value;
}
