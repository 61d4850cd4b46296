import { type DescField, type DescMethod, type DescService, getOption } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";
import { fieldPathName, findField, resolveFieldPath } from "./find-field.js";
import { bindVariables, type PathTemplate, parsePathTemplate, splitPath } from "./path-template.js";

/** One REST binding of an RPC: an HTTP method and path template. */
export interface Route {
  readonly service: DescService;
  readonly method: DescMethod;
  /** Upper-case HTTP method (`GET`, `POST`, or a custom rule's kind). */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  /** Field chains of the template's variables, parallel to `template.variables`. */
  readonly pathFields: readonly (readonly DescField[])[];
  /** `""` (no body: query parameters map to fields), `"*"` (the body is the message) or the body's field. */
  readonly body: "" | "*" | DescField;
  /** The output field sent as the response body, or undefined for the whole message. */
  readonly responseBody: DescField | undefined;
}

/** The result of a lookup. */
export type RouteLookup =
  | { readonly kind: "match"; readonly route: Route; readonly values: readonly string[] }
  | { readonly kind: "method_not_allowed"; readonly allowed: readonly string[] };

export interface RouteTable {
  readonly routes: readonly Route[];
  /**
   * The route for an HTTP method and request target (`/path?query`). Undefined
   * when no route has this path under any method; `method_not_allowed` (with the
   * methods that do match) when only other methods do.
   */
  lookup(httpMethod: string, target: string): RouteLookup | undefined;
}

// A trie over decoded path segments. Routes end at a node, keyed by verb ("" for
// none) and HTTP method; routes whose template ends in `**` hang off `deep`.
interface Node {
  readonly literal: Map<string, Node>;
  wildcard: Node | undefined;
  readonly end: Map<string, Map<string, Route>>;
  readonly deep: Map<string, Map<string, Route>>;
}

const newNode = (): Node => ({ literal: new Map(), wildcard: undefined, end: new Map(), deep: new Map() });

/**
 * Build the REST routes of every method of `services` that carries a
 * `google.api.http` option, including its `additional_bindings`. Throws an Error
 * at startup for a malformed template, a variable or body naming no field, a
 * streaming-request method, or two methods bound to the same method and path.
 * Lookups walk a trie of path segments: their cost depends on the path's
 * length, not on the number of routes.
 */
export function createRouteTable(services: readonly DescService[]): RouteTable {
  const root = newNode();
  const routes: Route[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const rule = getOption(method, http);
      if (rule.pattern.case === undefined) continue;
      for (const r of [rule, ...rule.additionalBindings]) {
        const where = `${service.typeName}.${method.name}`;
        if (r !== rule && r.additionalBindings.length > 0) {
          throw new Error(`${where}: additional_bindings cannot be nested`);
        }
        const route = createRoute(service, method, r, where);
        insert(root, route, where);
        routes.push(route);
      }
    }
  }
  return {
    routes,
    lookup(httpMethod, target) {
      // Fast miss for the RPC protocols' paths (`/pkg.Service/Method`): their
      // first segment starts no route, so nothing is split or allocated.
      if (root.wildcard === undefined && root.deep.size === 0) {
        const first = firstSegment(target);
        if (first !== undefined && !root.literal.has(first)) return undefined;
      }
      const q = target.indexOf("?");
      const split = splitPath(q < 0 ? target : target.slice(0, q));
      if (split === undefined) return undefined;
      // A verb route (`…/{id}:watch`) wins over a verbless one that would take
      // the `:watch` into its last variable, and so does its 405.
      if (split.verb !== undefined) {
        const route = walk(root, split.decodedNoVerb, 0, split.verb, httpMethod);
        if (route !== undefined) return matched(route, split.rawNoVerb, split.decodedNoVerb);
      }
      const route = walk(root, split.decoded, 0, "", httpMethod);
      if (route !== undefined && split.verb === undefined) return matched(route, split.raw, split.decoded);
      const allowed = new Set<string>();
      if (split.verb !== undefined) collectWalk(root, split.decodedNoVerb, 0, split.verb, allowed);
      if (allowed.size === 0) {
        if (route !== undefined) return matched(route, split.raw, split.decoded);
        collectWalk(root, split.decoded, 0, "", allowed);
      }
      if (allowed.size === 0) return undefined;
      return { kind: "method_not_allowed", allowed: [...allowed].sort() };
    },
  };
}

function createRoute(service: DescService, method: DescMethod, rule: HttpRule, where: string): Route {
  if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
    throw new Error(`${where}: ${method.methodKind} methods cannot have a REST binding`);
  }
  let httpMethod: string;
  let path: string;
  switch (rule.pattern.case) {
    case "custom":
      httpMethod = rule.pattern.value.kind.toUpperCase();
      path = rule.pattern.value.path;
      break;
    case undefined:
      throw new Error(`${where}: an HTTP rule needs a pattern (get, put, post, delete, patch or custom)`);
    default:
      httpMethod = rule.pattern.case.toUpperCase();
      path = rule.pattern.value;
  }
  if (httpMethod === "") throw new Error(`${where}: custom HTTP pattern without a kind`);
  let template: PathTemplate;
  try {
    template = parsePathTemplate(path);
  } catch (e) {
    throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const pathFields = template.variables.map((v) => {
    const chain = resolveFieldPath(method.input, v.fieldPath);
    if (typeof chain === "string") throw new Error(`${where}: path variable "${v.fieldPath.join(".")}": ${chain}`);
    const leaf = chain[chain.length - 1]!;
    if (leaf.fieldKind !== "scalar" && leaf.fieldKind !== "enum") {
      throw new Error(`${where}: path variable "${fieldPathName(chain)}" must name a singular scalar or enum field`);
    }
    return chain;
  });
  let body: Route["body"] = "";
  if (rule.body === "*") body = "*";
  else if (rule.body !== "") {
    const f = findField(method.input, rule.body);
    if (f === undefined || f.name !== rule.body) throw new Error(`${where}: body "${rule.body}" names no field`);
    body = f;
  }
  let responseBody: DescField | undefined;
  if (rule.responseBody !== "") {
    responseBody = findField(method.output, rule.responseBody);
    if (responseBody?.name !== rule.responseBody) {
      throw new Error(`${where}: response_body "${rule.responseBody}" names no field`);
    }
  }
  return { service, method, httpMethod, template, pathFields, body, responseBody };
}

function insert(root: Node, route: Route, where: string): void {
  let node = root;
  let terminal = node.end;
  for (const s of route.template.segments) {
    if (s.kind === "deep") {
      terminal = node.deep;
      break;
    }
    if (s.kind === "wildcard") {
      node.wildcard ??= newNode();
      node = node.wildcard;
    } else {
      let next = node.literal.get(s.value);
      if (next === undefined) {
        next = newNode();
        node.literal.set(s.value, next);
      }
      node = next;
    }
    terminal = node.end;
  }
  let byMethod = terminal.get(route.template.verb);
  if (byMethod === undefined) {
    byMethod = new Map();
    terminal.set(route.template.verb, byMethod);
  }
  const clash = byMethod.get(route.httpMethod);
  if (clash !== undefined) {
    throw new Error(
      `${where}: ${route.httpMethod} ${route.template.source} clashes with ` +
        `${clash.service.typeName}.${clash.method.name} (${clash.httpMethod} ${clash.template.source})`,
    );
  }
  byMethod.set(route.httpMethod, route);
}

function walk(node: Node, segs: readonly string[], i: number, verb: string, method: string): Route | undefined {
  if (i === segs.length) {
    const r = node.end.get(verb)?.get(method);
    if (r !== undefined) return r;
  } else {
    const seg = segs[i]!;
    const lit = node.literal.get(seg);
    if (lit !== undefined) {
      const r = walk(lit, segs, i + 1, verb, method);
      if (r !== undefined) return r;
    }
    if (node.wildcard !== undefined && seg !== "") {
      const r = walk(node.wildcard, segs, i + 1, verb, method);
      if (r !== undefined) return r;
    }
  }
  return node.deep.get(verb)?.get(method);
}

/** The first raw segment of a target when it needs no decoding, else undefined. */
function firstSegment(target: string): string | undefined {
  let end = 1;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x3a /* : */) break;
    if (c === 0x25 /* % */) return undefined;
    end++;
  }
  return target.slice(1, end);
}

function matched(route: Route, raw: readonly string[], decoded: readonly string[]): RouteLookup {
  return { kind: "match", route, values: bindVariables(route.template, raw, decoded) };
}

function collectWalk(node: Node, segs: readonly string[], i: number, verb: string, out: Set<string>): void {
  if (i === segs.length) {
    for (const m of node.end.get(verb)?.keys() ?? []) out.add(m);
  } else {
    const seg = segs[i]!;
    const lit = node.literal.get(seg);
    if (lit !== undefined) collectWalk(lit, segs, i + 1, verb, out);
    if (node.wildcard !== undefined && seg !== "") collectWalk(node.wildcard, segs, i + 1, verb, out);
  }
  for (const m of node.deep.get(verb)?.keys() ?? []) out.add(m);
}
