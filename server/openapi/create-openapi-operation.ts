import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { codesWithStatus } from "../errors/http-status-from-code.js";
import type { Route } from "../rest/create-route-table.js";
import { fieldPathName } from "../rest/find-field.js";
import type { PathTemplate } from "../rest/path-template.js";
import type { Commented } from "./create-comment-reader.js";
import type { Schema, SchemaBuilder } from "./create-schema-builder.js";

// The error statuses every operation documents. Left out: 499 (canceled: the
// caller has gone) and 501 (unimplemented: every bound method is served).
const documentedStatuses = [400, 401, 403, 404, 409, 429, 500, 503, 504];
const statusNotes: Partial<Record<number, string>> = { 401: "missing, malformed or unknown bearer token" };

/** The error statuses every operation documents, with the Connect codes behind them (from the one status table). */
export const errorResponses: Record<string, string> = Object.fromEntries(
  documentedStatuses.map((status) => {
    const names = codesWithStatus(status).map(codeToString);
    const codes = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names.join("");
    const note = statusNotes[status];
    return [String(status), note === undefined ? codes : `${codes}: ${note}`];
  }),
);

/**
 * A route's template as an OpenAPI path: `{workspace_id}` stays,
 * `{name=things/**}` becomes the plain parameter `{name}`; the rest is kept
 * as written.
 */
export function openApiPath(template: PathTemplate): string {
  let path = "";
  let from = 0;
  for (const v of template.variables) {
    path += `${template.source.slice(from, v.sourceStart)}{${v.fieldPath.join(".")}}`;
    from = v.sourceEnd;
  }
  return path + template.source.slice(from);
}

/**
 * The OpenAPI operation of one REST route: path parameters for the template's
 * variables, query parameters for the fields neither in the path nor in the
 * body (dotted names for nested ones), the request body for `body: "*"` (the
 * input without its path fields) or a field, the 200 response (NDJSON for a
 * server stream), and the shared error responses. `headers` come first among
 * the parameters.
 */
export function createOpenApiOperation(
  route: Route,
  operationId: string,
  schemas: SchemaBuilder,
  describe: (desc: Commented) => string | undefined,
  headers: readonly Schema[] = [],
): Schema {
  const { method } = route;
  const parameters: Schema[] = [...headers];
  const pathFields = new Set<string>();
  route.template.variables.forEach((v, i) => {
    const chain = route.pathFields[i]!;
    const leaf = chain[chain.length - 1]!;
    pathFields.add(fieldPathName(chain));
    parameters.push(param(v.fieldPath.join("."), "path", schemas.value(leaf), describe(leaf), true));
  });

  const bodyField = route.body === "" || route.body === "*" ? undefined : route.body;
  if (route.body !== "*") {
    addQuery(method.input, "", new Set([method.input.typeName]), (name, f, schema) => {
      if (pathFields.has(name) || (bodyField !== undefined && name.split(".")[0] === bodyField.name)) return;
      parameters.push(param(name, "query", schema, describe(f), false, f.fieldKind === "list"));
    }, schemas);
  }

  const operation: Schema = {
    operationId,
    tags: [method.parent.typeName],
    "x-grpc-method": `/${method.parent.typeName}/${method.name}`,
  };
  const description = describe(method);
  if (description !== undefined) {
    operation.summary = firstSentence(description);
    operation.description = description;
  }
  if (parameters.length > 0) operation.parameters = parameters;

  let bodySchema: Schema | undefined;
  if (route.body === "*") {
    const topLevelPath = new Set(route.pathFields.filter((chain) => chain.length === 1).map((chain) => chain[0]!.name));
    if (topLevelPath.size === 0) {
      bodySchema = schemas.message(method.input);
    } else {
      const properties: Record<string, Schema> = {};
      for (const f of method.input.fields) if (!topLevelPath.has(f.name)) properties[f.name] = schemas.field(f);
      bodySchema = { type: "object", properties };
      const d = describe(method.input);
      if (d !== undefined) bodySchema.description = d;
    }
  } else if (bodyField !== undefined) {
    bodySchema = schemas.field(bodyField);
  }
  if (bodySchema !== undefined) {
    operation.requestBody = { required: false, content: { "application/json": { schema: bodySchema } } };
  }

  const output = route.responseBody !== undefined ? schemas.field(route.responseBody) : schemas.message(method.output);
  const ok =
    method.methodKind === "server_streaming"
      ? {
          description:
            "A stream of messages, one JSON object per line; if the stream fails after it started, " +
            'its last line is `{"error": {...}}`.',
          content: { "application/x-ndjson": { schema: output } },
        }
      : { description: "OK", content: { "application/json": { schema: output } } };
  const responses: Schema = { "200": ok };
  for (const status of Object.keys(errorResponses)) {
    responses[status] = { $ref: `#/components/responses/Error${status}` };
  }
  operation.responses = responses;
  return operation;
}

function param(name: string, where: "path" | "query", schema: Schema, description: string | undefined, required: boolean, repeated = false): Schema {
  const p: Schema = { name, in: where, required, schema };
  if (description !== undefined) p.description = description;
  if (repeated) {
    p.style = "form";
    p.explode = true;
  }
  return p;
}

/**
 * Calls `add` for every field that can be a query parameter: scalars, enums,
 * their repeated forms, and scalar-like well-known types, descending into
 * singular messages (once per type on a path, so recursion ends).
 */
function addQuery(
  message: DescMessage,
  prefix: string,
  seen: Set<string>,
  add: (name: string, field: DescField, schema: Schema) => void,
  schemas: SchemaBuilder,
): void {
  for (const f of message.fields) {
    const name = prefix + f.name;
    if (f.fieldKind === "scalar" || f.fieldKind === "enum") {
      add(name, f, schemas.value(f));
    } else if (f.fieldKind === "list" && f.listKind !== "message") {
      add(name, f, { type: "array", items: schemas.value(f) });
    } else if (f.fieldKind === "message") {
      if (schemas.isScalarLike(f.message)) add(name, f, schemas.message(f.message));
      else if (!f.message.typeName.startsWith("google.protobuf.") && !seen.has(f.message.typeName)) {
        addQuery(f.message, `${name}.`, new Set([...seen, f.message.typeName]), add, schemas);
      }
    }
  }
}

/** The first clause of a comment's first paragraph (up to ".", ":" or ";"), on one line, as an operation's summary. */
export function firstSentence(comment: string): string {
  const paragraph = comment.split(/\n\s*\n/)[0]!.replace(/\s*\n\s*/g, " ").trim();
  return paragraph.split(/[.:;]\s/)[0]!.replace(/[.:;]$/, "");
}
