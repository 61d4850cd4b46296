import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { Commented } from "./create-comment-reader.js";
import type { Schema, SchemaBuilder } from "./create-schema-builder.js";
import type { HttpBinding } from "./list-http-bindings.js";

/** The error statuses every operation documents, with the Connect codes behind them. */
export const errorResponses: Record<string, string> = {
  "400": "invalid_argument, failed_precondition or out_of_range",
  "401": "unauthenticated: missing, malformed or unknown bearer token",
  "403": "permission_denied",
  "404": "not_found",
  "409": "already_exists or aborted",
  "429": "resource_exhausted",
  "500": "internal, unknown or data_loss",
  "503": "unavailable",
  "504": "deadline_exceeded",
};

const variable = /\{([^}=]+)(?:=[^}]*)?\}/g;

/**
 * An http rule template as an OpenAPI path: `{workspace_id}` stays,
 * `{name=things/**}` becomes the plain parameter `{name}`.
 */
export function openApiPath(template: string): { path: string; variables: string[] } {
  const variables: string[] = [];
  const path = template.replace(variable, (_, name: string) => {
    variables.push(name.trim());
    return `{${name.trim()}}`;
  });
  return { path, variables };
}

/**
 * The OpenAPI operation of one binding: path parameters for the template's
 * variables, query parameters for the fields neither in the path nor in the
 * body (dotted names for nested ones), the request body for `body: "*"` (the
 * input without its path fields) or a field, the 200 response (NDJSON for a
 * server stream), and the shared error responses.
 */
export function createOpenApiOperation(
  binding: HttpBinding,
  operationId: string,
  schemas: SchemaBuilder,
  describe: (desc: Commented) => string | undefined,
): Schema {
  const { method } = binding;
  const where = `${method.parent.typeName}.${method.name}`;
  const { variables } = openApiPath(binding.template);
  const parameters: Schema[] = [];
  const pathFields = new Set<string>(variables);
  for (const name of variables) {
    const leaf = resolve(method.input, name, where);
    parameters.push(param(name, "path", schemas.value(leaf), describe(leaf), true));
  }

  let bodyField: DescField | undefined;
  if (binding.body !== "" && binding.body !== "*") {
    bodyField = method.input.fields.find((f) => f.name === binding.body);
    if (bodyField === undefined) throw new Error(`${where}: body "${binding.body}" names no field`);
  }
  if (binding.body !== "*") {
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
    operation.summary = description.split(/\.\s|\n/)[0]!.replace(/\.$/, "");
    operation.description = description;
  }
  if (parameters.length > 0) operation.parameters = parameters;

  let bodySchema: Schema | undefined;
  if (binding.body === "*") {
    const topLevelPath = new Set(variables.filter((v) => !v.includes(".")));
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

  let output: Schema;
  if (binding.responseBody !== "") {
    const f = method.output.fields.find((x) => x.name === binding.responseBody);
    if (f === undefined) throw new Error(`${where}: response_body "${binding.responseBody}" names no field`);
    output = schemas.field(f);
  } else {
    output = schemas.message(method.output);
  }
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

/** The field a dotted path of proto names ends at; throws for a bad annotation. */
function resolve(message: DescMessage, path: string, where: string): DescField {
  let m: DescMessage | undefined = message;
  let leaf: DescField | undefined;
  for (const part of path.split(".")) {
    leaf = m?.fields.find((f) => f.name === part);
    if (leaf === undefined) throw new Error(`${where}: path variable "${path}" names no field`);
    m = leaf.fieldKind === "message" ? leaf.message : undefined;
  }
  return leaf!;
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
