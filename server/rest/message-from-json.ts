import {
  create,
  type DescField,
  type DescMessage,
  fromJson,
  type JsonValue,
  type Message,
  mergeFromJson,
} from "@bufbuild/protobuf";
import { isFieldError } from "@bufbuild/protobuf/reflect";
import type { FieldViolation } from "../errors/bad-request.js";
import { badRequest } from "../errors/bad-request.js";
import { findField } from "./find-field.js";

type JsonObject = { [k: string]: JsonValue };

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// Well-known types have their own JSON forms (Struct takes any key): not walked.
const walkable = (f: DescField): DescMessage | undefined =>
  (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) &&
  !f.message!.typeName.startsWith("google.protobuf.")
    ? f.message
    : undefined;

/**
 * Decode a parsed JSON value into a message of `schema`, accepting proto names
 * and JSON names and `null` for unset. Every unknown key is reported at once,
 * and a bad value is reported with its path, as a `badRequest` (invalid_argument)
 * whose violations use proto names prefixed with `prefix` (`""` at the top).
 */
export function messageFromJson(schema: DescMessage, json: JsonValue, prefix = ""): Message {
  const unknown: FieldViolation[] = [];
  collectUnknown(schema, json, prefix, unknown);
  if (unknown.length > 0) throw badRequest(unknown);
  try {
    return fromJson(schema, json);
  } catch (e) {
    // The slow path, only on error: find which value failed and where.
    const located = locateError(schema, json, prefix);
    if (located !== undefined) throw badRequest([located]);
    const cause = e instanceof Error ? e.cause : undefined;
    if (isFieldError(cause)) {
      const f = cause.field();
      throw badRequest([{ field: prefix + f.name, description: cause.message }]);
    }
    throw badRequest([{ field: prefix === "" ? "body" : prefix.slice(0, -1), description: reason(e) }]);
  }
}

function collectUnknown(schema: DescMessage, json: JsonValue, path: string, out: FieldViolation[]): void {
  if (!isObject(json)) return; // fromJson reports the wrong type with the field
  for (const key in json) {
    const field = findField(schema, key);
    if (field === undefined) {
      out.push({ field: path + key, description: `unknown field "${key}" in ${schema.typeName}` });
      continue;
    }
    const child = walkable(field);
    if (child === undefined) continue;
    const value = json[key];
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        collectUnknown(child, item, `${path}${field.name}[${i}].`, out);
      });
    } else {
      collectUnknown(child, value ?? null, `${path}${field.name}.`, out);
    }
  }
}

function locateError(schema: DescMessage, json: JsonValue, path: string): FieldViolation | undefined {
  if (!isObject(json)) {
    return { field: path === "" ? "body" : path.slice(0, -1), description: `expected a JSON object for ${schema.typeName}` };
  }
  for (const key in json) {
    const field = findField(schema, key);
    if (field === undefined) continue;
    const value = json[key] ?? null;
    const child = walkable(field);
    if (child !== undefined && field.fieldKind === "message" && isObject(value)) {
      const found = locateError(child, value, `${path}${field.name}.`);
      if (found !== undefined) return found;
      continue;
    }
    if (child !== undefined && field.fieldKind === "list" && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i] ?? null;
        const found = isObject(item)
          ? locateError(child, item, `${path}${field.name}[${i}].`)
          : { field: `${path}${field.name}[${i}]`, description: `expected a JSON object for ${child.typeName}` };
        if (found !== undefined) return found;
      }
      continue;
    }
    try {
      mergeFromJson(schema, create(schema), { [key]: value });
    } catch (e) {
      return { field: path + field.name, description: reason(e) };
    }
  }
  return undefined;
}

/** The useful tail of a protobuf-es JSON error: what was wrong, not which type. */
function reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const at = message.indexOf("from JSON");
  const tail = at < 0 ? message : message.slice(at + "from JSON".length).replace(/^:?\s*/, "");
  return tail === "" ? "invalid value" : tail;
}
