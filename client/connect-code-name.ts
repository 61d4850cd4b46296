import { Code } from "@connectrpc/connect";

/**
 * Connect's wire name of a code, as the API documents it: `invalid_argument`
 * for `Code.InvalidArgument`. Shared by wsctl and the browser page (client code
 * does not import the server's error table).
 */
export function connectCodeName(code: Code): string {
  const name = Code[code] as string | undefined;
  if (name === undefined) return "unknown";
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}
