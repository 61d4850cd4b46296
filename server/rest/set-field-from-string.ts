import { type DescField, type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { base64Decode } from "@bufbuild/protobuf/wire";

const intPattern = /^[-+]?\d+$/;

/**
 * Set the field at the end of `chain` in `message` from the text of a path
 * variable or query parameter, creating the messages along the way. A list
 * field gets the value appended. Returns undefined on success, or why the text
 * is not a valid value for the field.
 */
export function setFieldFromString(
  schema: DescMessage,
  message: Message,
  chain: readonly DescField[],
  text: string,
): string | undefined {
  let target: ReflectMessage = reflect(schema, message);
  for (let i = 0; i < chain.length - 1; i++) {
    const f = chain[i]!;
    if (f.fieldKind !== "message") return "is not a message field";
    if (target.isSet(f)) {
      target = target.get(f);
    } else {
      const child = reflect(f.message);
      target.set(f, child);
      target = child;
    }
  }
  const leaf = chain[chain.length - 1]!;
  let value: unknown;
  if (leaf.fieldKind === "enum" || (leaf.fieldKind === "list" && leaf.listKind === "enum")) {
    const values = leaf.enum!.values;
    // The enum's name (`SESSION_STATE_RUNNING`), or its short name in any case (`running`), as the CLI spells it.
    const prefix = (leaf.enum!.sharedPrefix ?? "").toUpperCase();
    const byName = values.find((v) => v.name === text) ?? values.find((v) => prefix !== "" && v.name === prefix + text.toUpperCase());
    if (byName !== undefined) value = byName.number;
    else if (intPattern.test(text) && values.some((v) => v.number === Number(text))) value = Number(text);
    else return `must be one of ${values.map((v) => v.name).join(", ")}`;
  } else if (leaf.fieldKind === "scalar" || (leaf.fieldKind === "list" && leaf.listKind === "scalar")) {
    const parsed = parseScalar(leaf.scalar!, text);
    if (parsed instanceof ParseError) return parsed.message;
    value = parsed;
  } else {
    return "cannot be set from a path or query parameter";
  }
  try {
    if (leaf.fieldKind === "list") target.get(leaf).add(value);
    else target.set(leaf, value);
  } catch (e) {
    // FieldError from the reflection checks, e.g. an int32 out of range.
    return e instanceof Error ? e.message : "invalid value";
  }
  return undefined;
}

class ParseError {
  constructor(readonly message: string) {}
}

function parseScalar(type: ScalarType, text: string): unknown {
  switch (type) {
    case ScalarType.STRING:
      return text;
    case ScalarType.BOOL:
      if (text === "true") return true;
      if (text === "false") return false;
      return new ParseError("must be true or false");
    case ScalarType.BYTES:
      try {
        return base64Decode(text);
      } catch {
        return new ParseError("must be base64");
      }
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const n = text === "NaN" ? Number.NaN : Number(text);
      if (text.trim() === "" || (Number.isNaN(n) && text !== "NaN")) return new ParseError("must be a number");
      return n;
    }
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      if (!intPattern.test(text)) return new ParseError("must be an integer");
      return BigInt(text);
    default:
      if (!intPattern.test(text)) return new ParseError("must be an integer");
      return Number(text);
  }
}
