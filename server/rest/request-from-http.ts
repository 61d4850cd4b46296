import { create, type JsonValue, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { badRequest, type FieldViolation } from "../errors/bad-request.js";
import type { NodeRequest } from "../rpc/node-handler.js";
import { fieldPathName, resolveFieldPath } from "./find-field.js";
import { messageFromJson } from "./message-from-json.js";
import { readBody } from "./read-body.js";
import type { Route } from "./create-route-table.js";
import { setFieldFromString } from "./set-field-from-string.js";

/** JSON text is UTF-8 (RFC 8259): a body that is not is refused, not patched with U+FFFD. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Build the input message of `route` from an HTTP request:
 * - `body: "*"`: the JSON body is the message (an empty body is `{}`); query
 *   parameters are refused, since every field travels in the body.
 * - `body: "field"`: the JSON body is that field; other fields come from the query.
 * - no body: query parameters set fields (`page_size=10`, `pageSize=10`,
 *   `a.b=1` for nested fields, a repeated parameter for a repeated field); an
 *   unknown parameter is `invalid_argument` naming it. Any body is ignored.
 * Path variables are set last, so they win over the same field in body or query.
 * A body needs a JSON content type (`application/json`, with parameters, or
 * any `+json` type) or none at all; it is read up to `readMaxBytes` and must be
 * UTF-8 (`invalid_argument` otherwise; a leading byte-order mark is dropped).
 */
export async function requestFromHttp(
  route: Route,
  values: readonly string[],
  target: string,
  req: NodeRequest,
  readMaxBytes: number,
): Promise<Message> {
  const input = route.method.input;
  let message: Message;
  if (route.body === "") {
    message = create(input);
  } else {
    const contentType = req.headers["content-type"];
    if (contentType !== undefined && !isJsonContentType(contentType)) {
      throw new ConnectError("request body must be JSON: send Content-Type: application/json", Code.InvalidArgument);
    }
    const bytes = await readBody(req, readMaxBytes);
    if (bytes.length === 0) {
      message = create(input);
    } else {
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        throw new ConnectError("request body is not valid UTF-8", Code.InvalidArgument);
      }
      let json: JsonValue;
      try {
        json = JSON.parse(text) as JsonValue;
      } catch {
        throw new ConnectError("request body is not valid JSON", Code.InvalidArgument);
      }
      message =
        route.body === "*"
          ? messageFromJson(input, json)
          : messageFromJson(input, { [route.body.name]: json });
    }
  }
  const q = target.indexOf("?");
  if (q >= 0 && q < target.length - 1) applyQuery(route, message, target.slice(q + 1));
  const violations: FieldViolation[] = [];
  for (let i = 0; i < values.length; i++) {
    const chain = route.pathFields[i]!;
    const why = setFieldFromString(input, message, chain, values[i]!);
    if (why !== undefined) violations.push({ field: fieldPathName(chain), description: `path value ${why}` });
  }
  if (violations.length > 0) throw badRequest(violations);
  return message;
}

function applyQuery(route: Route, message: Message, query: string): void {
  const params = new URLSearchParams(query);
  const violations: FieldViolation[] = [];
  for (const [key, value] of params) {
    if (route.body === "*") {
      violations.push({ field: key, description: "query parameters are not accepted here: send fields in the body" });
      continue;
    }
    const chain = resolveFieldPath(route.method.input, key.split("."));
    if (typeof chain === "string") {
      violations.push({ field: key, description: `unknown query parameter: ${chain}` });
      continue;
    }
    const why = setFieldFromString(route.method.input, message, chain, value);
    if (why !== undefined) violations.push({ field: fieldPathName(chain), description: why });
  }
  if (violations.length > 0) throw badRequest(violations);
}

/** `application/json` (any parameters) or a `+json` structured type. */
export function isJsonContentType(value: string): boolean {
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}
