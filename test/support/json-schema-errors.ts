/**
 * A small JSON Schema (2020-12) check for the keywords our OpenAPI documents
 * use: `$ref` (local, `#/…`), `type` (one or a list), `enum`, `pattern`,
 * `minLength`, `maxLength`, `minimum`, `maximum`, `properties`,
 * `additionalProperties`, `required`, `items` and `anyOf`. Returns the
 * dotted paths of the values that fail (`session_settings.code.mode`,
 * `items[2]`), one per failing value, "" for the root. Keywords it does not
 * know make it throw, so a document using more than it checks cannot pass
 * unnoticed.
 */
export function jsonSchemaErrors(root: object, schema: unknown, value: unknown): string[] {
  const errors: string[] = [];
  check(root, schema, value, "", errors);
  return errors;
}

type Schema = Record<string, unknown>;
const annotations = new Set(["description", "format", "examples", "contentEncoding", "title", "default"]);
const known = new Set([
  "$ref", "type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
  "properties", "additionalProperties", "required", "items", "anyOf",
]);

function check(root: object, schemaValue: unknown, value: unknown, path: string, errors: string[]): void {
  const schema = schemaValue as Schema;
  for (const key of Object.keys(schema)) {
    if (!known.has(key) && !annotations.has(key)) throw new Error(`jsonSchemaErrors: keyword ${key} at ${path || "(root)"} is not checked`);
  }
  if (typeof schema.$ref === "string") {
    check(root, resolve(root, schema.$ref), value, path, errors);
    return;
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf.map((branch) => {
      const found: string[] = [];
      check(root, branch, value, path, found);
      return found;
    });
    if (branches.every((found) => found.length > 0)) {
      // The branch of the value's own type explains best: the one with the deepest errors.
      const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      errors.push(...best);
    }
    return;
  }
  if (!valueFits(schema, value)) {
    errors.push(path);
    return;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (const [i, item] of value.entries()) check(root, schema.items, item, `${path}[${i}]`, errors);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, unknown>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) errors.push(join(path, name));
    for (const [name, item] of Object.entries(object)) {
      const sub = properties[name] ?? schema.additionalProperties;
      if (sub === false) errors.push(join(path, name));
      else if (sub !== undefined && sub !== true) check(root, sub, item, join(path, name), errors);
    }
  }
}

/** Whether `value` itself (not its items or properties) meets `schema`'s type, enum, pattern, lengths and bounds. */
function valueFits(schema: Schema, value: unknown): boolean {
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(value, t as string))) return false;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return false;
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) return false;
    if (typeof schema.minLength === "number" && length < schema.minLength) return false;
    if (typeof schema.maxLength === "number" && length > schema.maxLength) return false;
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) return false;
    if (typeof schema.maximum === "number" && value > schema.maximum) return false;
  }
  return true;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

function resolve(root: object, ref: string): unknown {
  if (!ref.startsWith("#/")) throw new Error(`jsonSchemaErrors: only local $refs, not ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    node = (node as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
    if (node === undefined) throw new Error(`jsonSchemaErrors: ${ref} resolves to nothing`);
  }
  return node;
}

const join = (path: string, name: string): string => (path === "" ? name : `${path}.${name}`);
const depth = (paths: string[]): number => Math.max(...paths.map((p) => p.split(".").length));
