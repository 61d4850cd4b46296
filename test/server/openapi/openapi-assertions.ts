import { type DescService, getOption } from "@bufbuild/protobuf";
import { http } from "../../../gen/google/api/annotations_pb.js";

/** Checks shared by the OpenAPI tests: structure, `$ref` resolution, and bindings read from the annotations. */

// The document is plain JSON walked by key; a precise type would only restate the assertions.
// biome-ignore lint/suspicious/noExplicitAny: navigating an untyped JSON document
export type Json = any;

const httpMethods = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];

/** Every binding of the services, read straight from the annotations: `"post /api/v1/…"`. */
export function bindingsOf(list: readonly DescService[]): Set<string> {
  const out = new Set<string>();
  for (const s of list) {
    for (const m of s.methods) {
      const rule = getOption(m, http);
      if (rule.pattern.case === undefined) continue;
      for (const r of [rule, ...rule.additionalBindings]) {
        const [verb, template] =
          r.pattern.case === "custom" ? [r.pattern.value.kind.toLowerCase(), r.pattern.value.path] : [r.pattern.case, r.pattern.value as string];
        out.add(`${verb} ${template.replace(/\{([^}=]+)(=[^}]*)?\}/g, "{$1}")}`);
      }
    }
  }
  return out;
}

export function operationsOf(document: Json): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries<Json>(document.paths)) {
    for (const verb of Object.keys(item)) if (httpMethods.includes(verb)) out.add(`${verb} ${path}`);
  }
  return out;
}

/** Resolves a local JSON pointer such as `#/components/schemas/Error`. */
export function resolveRef(document: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = document;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out);
  else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** The structural rules of OpenAPI 3.1 this document relies on; returns the problems found. */
export function structuralProblems(document: Json): string[] {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(document.openapi)) problems.push("openapi is not 3.1.x");
  if (typeof document.info?.title !== "string" || typeof document.info?.version !== "string") problems.push("info");
  const ids = new Set<string>();
  for (const [path, item] of Object.entries<Json>(document.paths)) {
    if (!path.startsWith("/")) problems.push(`path ${path} does not start with /`);
    const vars = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [verb, op] of Object.entries<Json>(item)) {
      if (!httpMethods.includes(verb)) problems.push(`${path}: ${verb} is not an HTTP method`);
      if (ids.has(op.operationId)) problems.push(`duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      if (Object.keys(op.responses ?? {}).length === 0) problems.push(`${verb} ${path}: no responses`);
      const params: Json[] = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === "path").map((p) => p.name);
      if (JSON.stringify([...pathParams].sort()) !== JSON.stringify([...vars].sort())) {
        problems.push(`${verb} ${path}: path parameters ${pathParams} != ${vars}`);
      }
      for (const p of params) {
        if (!["path", "query", "header", "cookie"].includes(p.in)) problems.push(`${verb} ${path}: parameter in`);
        if (p.in === "path" && p.required !== true) problems.push(`${verb} ${path}: ${p.name} not required`);
        if (p.schema === undefined) problems.push(`${verb} ${path}: ${p.name} has no schema`);
      }
    }
  }
  for (const ref of refsIn(document)) if (resolveRef(document, ref) === undefined) problems.push(`dangling ${ref}`);
  return problems;
}

