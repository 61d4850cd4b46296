import type { DescField, DescMethod, DescService } from "@bufbuild/protobuf";
import { allCodeNames } from "../errors/http-status-from-code.js";
import { idempotencyKeyHeader, idempotencyKeySchema, idempotentMethods } from "../launch/create-idempotency-keys.js";
import { createRouteTable } from "../rest/create-route-table.js";
import { fieldSchemas } from "../validation/field-schemas.js";
import { apiSourceFiles } from "./api-source-files.js";
import { type Commented, createCommentReader } from "./create-comment-reader.js";
import { createOpenApiOperation, errorResponses, openApiPath } from "./create-openapi-operation.js";
import { createSchemaBuilder, type Schema } from "./create-schema-builder.js";

export interface OpenApiOptions {
  /** Services whose `google.api.http` bindings are documented; methods without one are left out. */
  services: readonly DescService[];
  /** `info.title`. */
  title: string;
  /** `info.version`: the API's version, not OpenAPI's. */
  version: string;
  /** `info.description`. Default: none. */
  description?: string;
  /** The one entry of `servers`. Default: `/`, the origin that serves the document. */
  serverUrl?: string;
  /**
   * Describes services, methods, messages, enums and fields. Default: their
   * .proto comments, from the descriptors' own source info (descriptors from
   * a `buf build` image) or else from `apiSourceFiles()` (gen/descriptor_set.ts,
   * for the generated code's descriptors, which carry none).
   */
  describe?: (desc: Commented) => string | undefined;
  /** Keywords (pattern, enum, bounds) a scalar field's schema gets. Default: the validators' `fieldSchemas`. */
  rules?: (field: DescField) => Schema | undefined;
  /** Header parameters of a method's operations. Default: `Idempotency-Key` on the `idempotentMethods`. */
  headers?: (method: DescMethod) => Schema[];
}

const idempotencyKeyParameter: Schema = {
  name: idempotencyKeyHeader,
  in: "header",
  required: false,
  description:
    "A key of your choosing (1-255 printable ASCII characters). A retry with the same key and token returns the " +
    "first call's result and does nothing again; the same key with a different request is `invalid_argument`, and " +
    "while the first call runs a retry is `aborted` (409).",
  schema: idempotencyKeySchema,
};

const defaultRules = (f: DescField): Schema | undefined => fieldSchemas.get(`${f.parent.typeName}.${f.name}`) as Schema | undefined;
const defaultHeaders = (m: DescMethod): Schema[] =>
  idempotentMethods.has(`${m.parent.typeName}.${m.name}`) ? [idempotencyKeyParameter] : [];

/** Connect code names in the codes' order, the values of `Error.code`. */
const codeNames = allCodeNames();

const errorSchema: Schema = {
  type: "object",
  description: "The body of every REST error.",
  required: ["code", "message", "details", "detail"],
  properties: {
    code: { type: "string", enum: codeNames, description: "Connect error code." },
    message: { type: "string", description: "What went wrong, for people." },
    details: {
      type: "array",
      description: "Error details, for example google.rpc.BadRequest with one violation per bad field.",
      items: {
        type: "object",
        required: ["type", "value"],
        properties: {
          type: { type: "string", description: "Full name of the detail's message, e.g. google.rpc.BadRequest." },
          value: { type: "string", contentEncoding: "base64", description: "The detail in binary protobuf." },
          debug: { description: "The detail as JSON with proto field names." },
        },
      },
    },
    detail: { type: "string", description: "`message` again, for clients of FastAPI-style APIs." },
  },
};

/**
 * An OpenAPI 3.1 document for the REST bindings of `options.services`, built
 * from their descriptors and the REST route table (`createRouteTable`, which
 * reads the `google.api.http` annotations, additional bindings included, for
 * REST and this document alike): one path per binding, with path and query parameters,
 * request body, the 200 response (`application/x-ndjson` for server streams)
 * and the error responses with the shared `Error` schema. Messages and enums
 * are components under their full proto names, with proto (snake_case)
 * property names as REST responses use, with the validators' patterns, enums
 * and bounds; summaries and descriptions from the .proto comments. Every
 * operation takes a bearer token; launch and send-message an `Idempotency-Key`.
 * Throws where the route table does (an annotation naming no field, a
 * malformed template, two methods on one route) and for two bindings OpenAPI
 * would write as the same method and path.
 */
export function createOpenApiDocument(options: OpenApiOptions): Schema {
  const describe = options.describe ?? createCommentReader(apiSourceFiles());
  const schemas = createSchemaBuilder(describe, options.rules ?? defaultRules);
  const headers = options.headers ?? defaultHeaders;
  const paths: Record<string, Record<string, Schema>> = {};
  const operationIds = new Set<string>();
  const { routes } = createRouteTable(options.services);
  // A method's rule comes first, then its additional bindings: 0, 1, 2…
  const bindingIndex = new Map<DescMethod, number>();
  for (const route of routes) {
    const { method } = route;
    const index = bindingIndex.get(method) ?? 0;
    bindingIndex.set(method, index + 1);
    const path = openApiPath(route.template);
    const httpMethod = route.httpMethod.toLowerCase();
    const base = `${method.parent.name}_${method.name}`;
    let operationId = index === 0 ? base : `${base}_${index}`;
    for (let n = 2; operationIds.has(operationId); n++) operationId = `${base}_${n}`;
    operationIds.add(operationId);
    const item = paths[path] ?? {};
    paths[path] = item;
    if (item[httpMethod] !== undefined) {
      throw new Error(`${method.parent.typeName}.${method.name}: ${httpMethod} ${path} is bound twice`);
    }
    item[httpMethod] = createOpenApiOperation(route, operationId, schemas, describe, headers(method));
  }

  const bound = new Set(routes.map((r) => r.service));
  const tags = options.services.filter((s) => bound.has(s)).map((s) => {
    const tag: Schema = { name: s.typeName };
    const d = describe(s);
    if (d !== undefined) tag.description = d;
    return tag;
  });
  const info: Schema = { title: options.title, version: options.version };
  if (options.description !== undefined) info.description = options.description;
  const responses: Record<string, Schema> = {};
  for (const [status, codes] of Object.entries(errorResponses)) {
    responses[`Error${status}`] = {
      description: codes,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  }
  const sorted: Record<string, Schema> = { Error: errorSchema };
  for (const name of Object.keys(schemas.schemas).sort()) sorted[name] = schemas.schemas[name]!;

  return {
    openapi: "3.1.0",
    info,
    servers: [
      options.serverUrl !== undefined
        ? { url: options.serverUrl }
        : { url: "/", description: "The server that serves this document (a URL relative to it)." },
    ],
    tags,
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: sorted,
      responses,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API token: `Authorization: Bearer <token>`." },
      },
    },
  };
}
