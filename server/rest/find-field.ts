import type { DescField, DescMessage } from "@bufbuild/protobuf";

const byName = new WeakMap<DescMessage, Map<string, DescField>>();

/**
 * The field of `message` called `name`, by its proto name (`machine_id`) or its
 * JSON name (`machineId`); undefined when there is none. Lookups are cached
 * per message type.
 */
export function findField(message: DescMessage, name: string): DescField | undefined {
  let fields = byName.get(message);
  if (fields === undefined) {
    fields = new Map();
    for (const f of message.fields) {
      fields.set(f.jsonName, f);
      fields.set(f.name, f);
    }
    byName.set(message, fields);
  }
  return fields.get(name);
}

/**
 * Resolve a dotted path of field names (`session_settings.code.mode`) from
 * `message`: every field but the last must be a singular message field. Returns
 * the chain of fields, or a string saying why the path does not resolve.
 */
export function resolveFieldPath(message: DescMessage, path: readonly string[]): DescField[] | string {
  const chain: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (let i = 0; i < path.length; i++) {
    const name = path[i]!;
    if (current === undefined) return `"${path.slice(0, i).join(".")}" is not a message field`;
    const field = findField(current, name);
    if (field === undefined) return `${current.typeName} has no field "${name}"`;
    chain.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return chain;
}

/** The proto-name path of a chain of fields, for error messages. */
export function fieldPathName(chain: readonly DescField[]): string {
  return chain.map((f) => f.name).join(".");
}
