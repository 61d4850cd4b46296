import { type Message, toJson, toJsonString } from "@bufbuild/protobuf";
import type { Route } from "./create-route-table.js";

// REST responses use proto field names, like the seed API, and leave out
// implicit-presence fields holding their default value.
const jsonOptions = { useProtoFieldName: true, alwaysEmitImplicit: false } as const;

/** The JSON text of a response message: the whole message, or the rule's `response_body` field. */
export function outputJson(route: Route, message: Message): string {
  const schema = route.method.output;
  if (route.responseBody === undefined) return toJsonString(schema, message, jsonOptions);
  const json = toJson(schema, message, jsonOptions) as Record<string, unknown>;
  return JSON.stringify(json[route.responseBody.name] ?? null);
}
