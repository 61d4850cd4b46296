/**
 * Path templates of `google.api.http` rules (see google/api/http.proto):
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     FieldPath = IDENT { "." IDENT } ;
 *     Verb     = ":" LITERAL ;
 *
 * `{var}` is `{var=*}`. `*` matches one non-empty segment, `**` zero or more
 * segments and may only be the last segment. Request paths are split on `/`
 * and each segment is percent-decoded before literals are compared; a variable
 * bound to one segment gets the fully decoded segment, a variable spanning
 * several segments gets them joined with `/`, each decoded except `%2F`, which
 * stays encoded so that it can be told from a separator.
 */

/** One segment of a template, after variables have been flattened. */
export type TemplateSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "deep" };

/** A variable covering segments `[start, end)`; `end` is -1 when it ends with `**`. */
export interface TemplateVariable {
  /** Field path in proto names, for example `["session", "id"]`. */
  readonly fieldPath: readonly string[];
  readonly start: number;
  readonly end: number;
  /** Where the variable, `{` to `}` inclusive, stands in the template's source: `[sourceStart, sourceEnd)`. */
  readonly sourceStart: number;
  readonly sourceEnd: number;
}

export interface PathTemplate {
  /** The template as written. */
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly variables: readonly TemplateVariable[];
  /** The custom verb after `:`, or `""` when there is none. */
  readonly verb: string;
}

const identPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Characters that end a literal: separators and template syntax.
const literalStop = new Set(["/", "{", "}", ":", "=", "*"]);
// Characters never allowed in a literal of a path.
const literalForbidden = /[\s?#]/;

/** Parse a path template; throws an Error naming the template and the problem. */
export function parsePathTemplate(source: string): PathTemplate {
  const fail = (why: string, at: number): never => {
    throw new Error(`invalid path template "${source}": ${why} at offset ${at}`);
  };
  if (!source.startsWith("/")) fail('it must start with "/"', 0);
  const segments: TemplateSegment[] = [];
  const variables: TemplateVariable[] = [];
  let pos = 1;

  const readLiteral = (): string => {
    const start = pos;
    while (pos < source.length && !literalStop.has(source.charAt(pos))) pos++;
    const raw = source.slice(start, pos);
    if (raw === "") fail("empty segment", start);
    if (literalForbidden.test(raw)) fail(`"${raw}" holds a character not allowed in a path`, start);
    try {
      return decodeURIComponent(raw);
    } catch {
      return fail(`"${raw}" is not valid percent-encoding`, start);
    }
  };

  const readSegment = (inVariable: boolean): void => {
    const c = source.charAt(pos);
    if (c === "*") {
      if (source.charAt(pos + 1) === "*") {
        segments.push({ kind: "deep" });
        pos += 2;
      } else {
        segments.push({ kind: "wildcard" });
        pos += 1;
      }
    } else if (c === "{") {
      if (inVariable) fail("variables cannot be nested", pos);
      readVariable();
    } else {
      segments.push({ kind: "literal", value: readLiteral() });
    }
  };

  const readSegments = (inVariable: boolean): void => {
    readSegment(inVariable);
    while (source.charAt(pos) === "/") {
      pos++;
      readSegment(inVariable);
    }
  };

  const readVariable = (): void => {
    const open = pos;
    pos++; // "{"
    const start = pos;
    while (pos < source.length && !"=}".includes(source.charAt(pos))) pos++;
    const fieldPath = source.slice(start, pos).split(".");
    for (const ident of fieldPath) {
      if (!identPattern.test(ident)) fail(`"${source.slice(start, pos)}" is not a field path`, start);
    }
    const first = segments.length;
    if (source.charAt(pos) === "=") {
      pos++;
      readSegments(true);
    } else {
      segments.push({ kind: "wildcard" });
    }
    if (source.charAt(pos) !== "}") fail('unclosed variable, expected "}"', open);
    pos++;
    const name = fieldPath.join(".");
    if (variables.some((v) => v.fieldPath.join(".") === name)) fail(`variable "${name}" bound twice`, open);
    const deep = segments[segments.length - 1]?.kind === "deep";
    variables.push({ fieldPath, start: first, end: deep ? -1 : segments.length, sourceStart: open, sourceEnd: pos });
  };

  readSegments(false);
  let verb = "";
  if (source.charAt(pos) === ":") {
    pos++;
    verb = readLiteral();
    if (pos < source.length) fail(`unexpected "${source.charAt(pos)}" in verb`, pos);
  }
  if (pos < source.length) fail(`unexpected "${source.charAt(pos)}"`, pos);
  segments.forEach((s, i) => {
    if (s.kind === "deep" && i !== segments.length - 1) fail('"**" must be the last segment', 0);
  });
  return { source, segments, variables, verb };
}

/**
 * Percent-decode one raw path segment; undefined when malformed. With
 * `keepSlash`, `%2F` stays encoded (for variables spanning several segments).
 */
export function decodeSegment(raw: string, keepSlash = false): string | undefined {
  if (!raw.includes("%")) return raw;
  try {
    if (!keepSlash) return decodeURIComponent(raw);
    return raw
      .split(/%2f/i)
      .map((part) => decodeURIComponent(part))
      .join("%2F");
  } catch {
    return undefined;
  }
}

/** A request path split for matching: raw and decoded segments, and the verb candidate. */
export interface SplitPath {
  /** Raw segments of the whole path (verb still attached to the last one). */
  readonly raw: readonly string[];
  /** Decoded segments of the whole path. */
  readonly decoded: readonly string[];
  /** The text after the last `:` of the last segment, or undefined. */
  readonly verb: string | undefined;
  /** Raw segments with the verb removed from the last one (when `verb` is set). */
  readonly rawNoVerb: readonly string[];
  /** Decoded segments with the verb removed (when `verb` is set). */
  readonly decodedNoVerb: readonly string[];
}

/** Split a path (query string already removed); undefined when it is not a valid path. */
export function splitPath(path: string): SplitPath | undefined {
  if (!path.startsWith("/")) return undefined;
  const raw = path.slice(1).split("/");
  const decoded: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const d = decodeSegment(raw[i]!);
    if (d === undefined) return undefined;
    decoded[i] = d;
  }
  const last = raw[raw.length - 1]!;
  const colon = last.lastIndexOf(":");
  if (colon < 0) return { raw, decoded, verb: undefined, rawNoVerb: raw, decodedNoVerb: decoded };
  const verb = decodeSegment(last.slice(colon + 1));
  const head = decodeSegment(last.slice(0, colon));
  if (verb === undefined || head === undefined) return undefined;
  const rawNoVerb = raw.slice();
  rawNoVerb[raw.length - 1] = last.slice(0, colon);
  const decodedNoVerb = decoded.slice();
  decodedNoVerb[raw.length - 1] = head;
  return { raw, decoded, verb, rawNoVerb, decodedNoVerb };
}

/** Whether decoded segments match the template's segments (the verb is checked by the caller). */
export function segmentsMatch(template: PathTemplate, decoded: readonly string[]): boolean {
  const segs = template.segments;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.kind === "deep") return true;
    const d = decoded[i];
    if (d === undefined) return false;
    if (s.kind === "literal" ? d !== s.value : d === "") return false;
  }
  return decoded.length === segs.length;
}

/**
 * The values of the template's variables (parallel to `template.variables`)
 * for segments that match it.
 */
export function bindVariables(template: PathTemplate, raw: readonly string[], decoded: readonly string[]): string[] {
  const values: string[] = new Array(template.variables.length);
  template.variables.forEach((v, i) => {
    const end = v.end < 0 ? decoded.length : v.end;
    if (end - v.start === 1 && v.end >= 0) {
      values[i] = decoded[v.start]!;
    } else {
      const parts: string[] = [];
      for (let j = v.start; j < end; j++) parts.push(decodeSegment(raw[j]!, true) ?? "");
      values[i] = parts.join("/");
    }
  });
  return values;
}

/**
 * Match a request path (no query string) against one template; the bindings by
 * dotted field path, or undefined. The route table indexes templates instead of
 * calling this per route; it serves tests and one-off checks.
 */
export function matchPathTemplate(template: PathTemplate, path: string): Map<string, string> | undefined {
  const split = splitPath(path);
  if (split === undefined) return undefined;
  let raw = split.raw;
  let decoded = split.decoded;
  if (template.verb !== "") {
    if (split.verb !== template.verb) return undefined;
    raw = split.rawNoVerb;
    decoded = split.decodedNoVerb;
  }
  if (!segmentsMatch(template, decoded)) return undefined;
  const values = bindVariables(template, raw, decoded);
  return new Map(template.variables.map((v, i) => [v.fieldPath.join("."), values[i]!]));
}
