import { type Message, toJson, toJsonString } from "@bufbuild/protobuf";
import { LaunchWorkspaceSessionResponseSchema } from "../../gen/workspaces/v1/launch_pb.js";
import type { Route } from "./create-route-table.js";

// REST responses use proto field names, like the seed API, and emit every
// field, those holding false, zero or "" included (`"online": false`), so a
// REST caller sees the same keys whatever the values. Unset message fields
// (a Timestamp not yet known) stay out.
const jsonOptions = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;

// Responses REST sends in the original API's shape, byte for byte: the launch
// answers `{status, payload}` and nothing else. The typed fields beside them
// in the message are for the RPC protocols (see launch.proto).
/** The fields REST answers of a response message that keeps the original API's shape, by message type name. */
export const seedShapes: ReadonlyMap<string, readonly string[]> = new Map([
  [LaunchWorkspaceSessionResponseSchema.typeName, ["status", "payload"]],
]);

/** The JSON text of a response message: the whole message, or the rule's `response_body` field. */
export function outputJson(route: Route, message: Message): string {
  const schema = route.method.output;
  const seedShape = seedShapes.get(schema.typeName);
  if (route.responseBody === undefined && seedShape === undefined) return toJsonString(schema, message, jsonOptions);
  const json = toJson(schema, message, jsonOptions) as Record<string, unknown>;
  if (route.responseBody !== undefined) return JSON.stringify(json[route.responseBody.name] ?? null);
  const shaped: Record<string, unknown> = {};
  for (const key of seedShape!) if (json[key] !== undefined) shaped[key] = json[key];
  return JSON.stringify(shaped);
}
