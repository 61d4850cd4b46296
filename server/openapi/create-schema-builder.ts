import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import type { Commented } from "./create-comment-reader.js";

/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses). */
export type Schema = { [key: string]: unknown };

export interface SchemaBuilder {
  /** The schema of a message: inline for well-known types, else a `$ref` to its component. */
  message(message: DescMessage): Schema;
  /** The schema of a field's value in JSON: arrays, maps, nullability included. */
  field(field: DescField): Schema;
  /** The schema of a singular scalar or enum value (path and query parameters). */
  value(field: DescField): Schema;
  /** Well-known types that are one string, number or boolean in JSON (Timestamp, wrappers…). */
  isScalarLike(message: DescMessage): boolean;
  /** The registered components, keyed by full proto name. */
  readonly schemas: Record<string, Schema>;
}

const int64 = { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
const uint64 = { type: "string", format: "uint64", pattern: "^[0-9]+$" };

// Scalars in the protobuf JSON mapping: 64-bit integers are strings, bytes base64.
const scalars: Record<ScalarType, Schema> = {
  [ScalarType.DOUBLE]: { type: "number", format: "double" },
  [ScalarType.FLOAT]: { type: "number", format: "float" },
  [ScalarType.INT64]: int64,
  [ScalarType.SINT64]: int64,
  [ScalarType.SFIXED64]: int64,
  [ScalarType.UINT64]: uint64,
  [ScalarType.FIXED64]: uint64,
  [ScalarType.INT32]: { type: "integer", format: "int32" },
  [ScalarType.SINT32]: { type: "integer", format: "int32" },
  [ScalarType.SFIXED32]: { type: "integer", format: "int32" },
  [ScalarType.UINT32]: { type: "integer", format: "uint32", minimum: 0, maximum: 4294967295 },
  [ScalarType.FIXED32]: { type: "integer", format: "uint32", minimum: 0, maximum: 4294967295 },
  [ScalarType.BOOL]: { type: "boolean" },
  [ScalarType.STRING]: { type: "string" },
  [ScalarType.BYTES]: { type: "string", format: "byte", contentEncoding: "base64" },
};

// Well-known types with a JSON form of their own.
const wellKnown: Record<string, Schema> = {
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": { description: "Any JSON value." },
  "google.protobuf.ListValue": { type: "array", items: {} },
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", examples: ["1.5s"] },
  "google.protobuf.FieldMask": { type: "string", description: "Comma-separated field paths." },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string" } },
    required: ["@type"],
    additionalProperties: true,
  },
  "google.protobuf.DoubleValue": scalars[ScalarType.DOUBLE],
  "google.protobuf.FloatValue": scalars[ScalarType.FLOAT],
  "google.protobuf.Int64Value": int64,
  "google.protobuf.UInt64Value": uint64,
  "google.protobuf.Int32Value": scalars[ScalarType.INT32],
  "google.protobuf.UInt32Value": scalars[ScalarType.UINT32],
  "google.protobuf.BoolValue": scalars[ScalarType.BOOL],
  "google.protobuf.StringValue": scalars[ScalarType.STRING],
  "google.protobuf.BytesValue": scalars[ScalarType.BYTES],
};
const scalarLike = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
  ...Object.keys(wellKnown).filter((n) => /\.[A-Z][A-Za-z0-9]*Value$/.test(n) && !/\.(List)?Value$/.test(n)),
]);

/** `schema` that also admits JSON `null`. */
export function nullable(schema: Schema): Schema {
  const type = schema.type;
  if (typeof type === "string" && schema.enum === undefined) return { ...schema, type: [type, "null"] };
  if (Array.isArray(type) || Object.keys(schema).every((k) => k === "description")) return schema;
  return { anyOf: [schema, { type: "null" }] };
}

/**
 * Builds JSON schemas for protobuf messages as the REST layer writes them:
 * properties under proto names, `optional` and message fields nullable,
 * 64-bit integers as strings, enums as their value names, well-known types in
 * their JSON forms. Messages and enums become components named by full proto
 * name, registered on first use (recursive types are fine). `rules` adds
 * keywords (pattern, enum, bounds) to a scalar field's value schema, e.g. the
 * validators' `fieldSchemas`; default none.
 */
export function createSchemaBuilder(
  describe: (desc: Commented) => string | undefined,
  rules: (field: DescField) => Schema | undefined = () => undefined,
): SchemaBuilder {
  const schemas: Record<string, Schema> = {};
  const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

  const enumSchema = (e: DescEnum): Schema => {
    if (schemas[e.typeName] === undefined) {
      schemas[e.typeName] = withDescription(
        { type: "string", enum: e.values.map((v) => v.name) },
        describe(e),
      );
    }
    return ref(e.typeName);
  };

  const message = (m: DescMessage): Schema => {
    const known = wellKnown[m.typeName];
    if (known !== undefined) return known;
    if (schemas[m.typeName] === undefined) {
      const properties: Record<string, Schema> = {};
      const schema: Schema = withDescription({ type: "object", properties }, describe(m));
      schemas[m.typeName] = schema; // before the fields, so recursion finds it
      for (const f of m.fields) properties[f.name] = field(f);
    }
    return ref(m.typeName);
  };

  const value = (f: DescField): Schema => {
    if (f.enum !== undefined) return enumSchema(f.enum);
    if (f.message !== undefined) return message(f.message);
    const scalar = scalars[f.scalar ?? ScalarType.STRING];
    const rule = rules(f);
    return rule === undefined ? scalar : { ...scalar, ...rule };
  };

  const field = (f: DescField): Schema => {
    let schema: Schema;
    switch (f.fieldKind) {
      case "list":
        schema = { type: "array", items: value(f) };
        break;
      case "map": {
        schema = { type: "object", additionalProperties: value(f) };
        break;
      }
      default:
        schema = value(f);
        if (f.presence === FeatureSet_FieldPresence.EXPLICIT) schema = nullable(schema);
    }
    return withDescription(schema, describe(f));
  };

  return {
    message,
    field,
    value,
    isScalarLike: (m) => scalarLike.has(m.typeName),
    schemas,
  };
}

function withDescription(schema: Schema, description: string | undefined): Schema {
  return description === undefined ? schema : { ...schema, description };
}
