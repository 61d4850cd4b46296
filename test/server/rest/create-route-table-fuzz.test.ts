import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createRouteTable } from "../../../server/rest/create-route-table.js";
import { matchPathTemplate, parsePathTemplate } from "../../../server/rest/path-template.js";

const table = createRouteTable([WorkspaceSessionService, MachineService, DaemonService]);
const methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

// Pieces paths are made of: every literal of the real templates, verbs, escapes, junk.
const literals = [...new Set(table.routes.flatMap((r) => r.template.segments.flatMap((s) => (s.kind === "literal" ? [s.value] : []))))];
const segment = fc.oneof(
  fc.constantFrom(...literals),
  fc.constantFrom("", "w1", "s-1", "%2F", "%41", "%", "%zz", "a%2Fb", ".", "..", "x:watch", ":stop", "é", "%E2%82%AC", "%C3"),
  fc.string({ maxLength: 6 }),
);
const randomPath = fc.array(segment, { minLength: 0, maxLength: 7 }).map((segs) => `/${segs.join("/")}`);
// Paths shaped like a real template: its literals mostly kept, its variables filled with anything,
// its verb kept, swapped or dropped, a segment sometimes added or cut.
const templatedPath = fc
  .tuple(
    fc.constantFrom(...table.routes),
    fc.array(fc.tuple(fc.nat(9).map((n) => n > 0), fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), weight: 3 }, { arbitrary: segment, weight: 1 })), {
      minLength: 8,
      maxLength: 8,
    }),
    fc.constantFrom("keep", "keep", "keep", "keep", "none", ":watch", ":stop", ":other"),
    fc.constantFrom("same", "same", "same", "same", "same", "same", "extra", "cut"),
  )
  .map(([route, fill, verb, length]) => {
    const segs = route.template.segments.map((seg, i) => {
      const [keep, other] = fill[i]!;
      if (seg.kind === "literal") return keep || other === "" ? encodeURIComponent(seg.value) : other;
      return other;
    });
    if (length === "extra") segs.push(fill[7]![1]);
    if (length === "cut") segs.pop();
    const v = verb === "keep" ? (route.template.verb ? `:${route.template.verb}` : "") : verb === "none" ? "" : verb;
    return `/${segs.join("/")}${v}`;
  });
const path = fc.oneof(templatedPath, templatedPath, randomPath);
const target = fc.tuple(path, fc.option(fc.string({ maxLength: 10 }), { nil: undefined })).map(([p, q]) => (q === undefined ? p : `${p}?${q}`));

const runs = { numRuns: 2000 };
let counted = 0;

describe("createRouteTable", () => {
  it("agrees with matching each template on its own, for any method and path", () => {
    const outcomes = { match: 0, method_not_allowed: 0, none: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...methods), target, (method, t) => {
        counted++;
        const found = table.lookup(method, t);
        const pathOnly = t.split("?", 1)[0]!;
        const matching = table.routes.filter((r) => matchPathTemplate(r.template, pathOnly) !== undefined);
        if (found === undefined) {
          outcomes.none++;
          expect(matching).toEqual([]);
        } else if (found.kind === "match") {
          outcomes.match++;
          expect(found.route.httpMethod).toBe(method);
          const expected = matchPathTemplate(found.route.template, pathOnly);
          expect(expected).toBeDefined();
          expect(found.values).toEqual([...expected!.values()]);
        } else {
          outcomes.method_not_allowed++;
          expect(found.allowed).not.toContain(method);
          for (const m of found.allowed) expect(matching.some((r) => r.httpMethod === m)).toBe(true);
        }
      }),
      runs,
    );
    console.log(`createRouteTable: ${runs.numRuns} random method and path pairs checked against the single-template matcher: ${JSON.stringify(outcomes)}`);
  });

  it("gives back any workspace and session id, however encoded, as the path variables", () => {
    const id = fc.string({ unit: "binary", minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(id, id, fc.constantFrom("", ":watch", ":stop"), (workspace, session, verb) => {
        counted++;
        const method = verb === ":stop" ? "POST" : "GET";
        const found = table.lookup(method, `/api/v1/workspaces/${encodeURIComponent(workspace)}/sessions/${encodeURIComponent(session)}${verb}`);
        expect(found?.kind).toBe("match");
        if (found?.kind !== "match") return;
        const name = { "": "GetWorkspaceSession", ":watch": "WatchWorkspaceSession", ":stop": "StopWorkspaceSession" }[verb];
        expect(found.route.method.name).toBe(name);
        expect(found.values).toEqual([workspace, session]);
      }),
      runs,
    );
  });

  it("never throws on any request target, however malformed", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), fc.constantFrom(...methods), (t, method) => {
        counted++;
        table.lookup(method, t);
        table.lookup(method, `/api/v1/${t}`);
      }),
      runs,
    );
    console.log(`createRouteTable: ${counted} lookups in all (property runs of the route table)`);
  });
});

describe("parsePathTemplate", () => {
  it("parses or throws a plain Error naming the template, for any source", () => {
    const piece = fc.constantFrom("/", "{", "}", "=", "*", "**", ":", ".", "a", "b_1", "%2F", "%", " ", "?");
    const source = fc.oneof(fc.string({ maxLength: 30 }), fc.array(piece, { maxLength: 12 }).map((p) => p.join("")));
    let parsed = 0;
    fc.assert(
      fc.property(source, (s) => {
        try {
          const template = parsePathTemplate(s);
          parsed++;
          expect(template.source).toBe(s);
          for (const v of template.variables) expect(v.start).toBeLessThanOrEqual(v.end < 0 ? template.segments.length : v.end);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toContain("invalid path template");
        }
      }),
      runs,
    );
    console.log(`parsePathTemplate: ${runs.numRuns} random sources, ${parsed} parsed, the rest refused with a message`);
  });
});
