import { describe, expect, it } from "vitest";
import { matchPathTemplate, parsePathTemplate } from "../../../server/rest/path-template.js";

const match = (template: string, path: string) => {
  const m = matchPathTemplate(parsePathTemplate(template), path);
  return m === undefined ? undefined : Object.fromEntries(m);
};

describe("parsePathTemplate", () => {
  it("parses literals, variables, wildcards and a verb", () => {
    const t = parsePathTemplate("/v1/{name=shelves/*/books/*}/x/{id}:publish");
    expect(t.verb).toBe("publish");
    expect(t.segments.map((s) => (s.kind === "literal" ? s.value : s.kind))).toEqual([
      "v1",
      "shelves",
      "wildcard",
      "books",
      "wildcard",
      "x",
      "wildcard",
    ]);
    expect(t.variables).toEqual([
      { fieldPath: ["name"], start: 1, end: 5, sourceStart: 4, sourceEnd: 28 },
      { fieldPath: ["id"], start: 6, end: 7, sourceStart: 31, sourceEnd: 35 },
    ]);
    expect(t.variables.map((v) => t.source.slice(v.sourceStart, v.sourceEnd))).toEqual([
      "{name=shelves/*/books/*}",
      "{id}",
    ]);
  });

  it("parses nested field paths and a trailing ** variable", () => {
    const t = parsePathTemplate("/v1/{session.id}/{rest=files/**}");
    expect(t.variables).toEqual([
      { fieldPath: ["session", "id"], start: 1, end: 2, sourceStart: 4, sourceEnd: 16 },
      { fieldPath: ["rest"], start: 2, end: -1, sourceStart: 17, sourceEnd: 32 },
    ]);
  });

  it.each([
    ["v1/x", 'must start with "/"'],
    ["/v1/{id", "unclosed variable"],
    ["/v1/{a/{b}}", "not a field path"],
    ["/v1/{a={b}}", "variables cannot be nested"],
    ["/v1/**/x", '"**" must be the last segment'],
    ["/v1//x", "empty segment"],
    ["/v1/", "empty segment"],
    ["/v1/{1bad}", "not a field path"],
    ["/v1/{id}/{id}", 'variable "id" bound twice'],
    ["/v1/x:", "empty segment"],
    ["/v1/x:a:b", 'unexpected ":"'],
    ["/v1/x y", "not allowed in a path"],
    ["/v1/%zz", "not valid percent-encoding"],
    ["/v1/x}", 'unexpected "}"'],
  ])("rejects %s with a clear error", (template, why) => {
    expect(() => parsePathTemplate(template)).toThrow(why);
    expect(() => parsePathTemplate(template)).toThrow(`invalid path template "${template}"`);
  });
});

describe("matchPathTemplate", () => {
  it("binds single-segment variables, fully percent-decoded", () => {
    expect(match("/api/v1/workspaces/{workspace_id}/sessions", "/api/v1/workspaces/w%201%2Fx/sessions")).toEqual({
      workspace_id: "w 1/x",
    });
  });

  it("compares literals after decoding the request segment", () => {
    expect(match("/api/v1/machines", "/api/%761/machines")).toEqual({});
  });

  it("refuses other paths, empty segments for * and malformed encoding", () => {
    expect(match("/api/v1/machines", "/api/v1/machine")).toBeUndefined();
    expect(match("/api/v1/machines", "/api/v1/machines/")).toBeUndefined();
    expect(match("/api/v1/machines/{id}", "/api/v1/machines/")).toBeUndefined();
    expect(match("/api/v1/machines/{id}", "/api/v1/machines/a/b")).toBeUndefined();
    expect(match("/api/v1/machines/{id}", "/api/v1/machines/%zz")).toBeUndefined();
  });

  it("matches a verb only when the request carries it", () => {
    const t = "/api/v1/workspaces/{workspace_id}/sessions/{session_id}:watch";
    expect(match(t, "/api/v1/workspaces/w1/sessions/s1:watch")).toEqual({ workspace_id: "w1", session_id: "s1" });
    expect(match(t, "/api/v1/workspaces/w1/sessions/s1")).toBeUndefined();
    expect(match(t, "/api/v1/workspaces/w1/sessions/s1:stop")).toBeUndefined();
    // An encoded colon is part of the segment, not a verb separator.
    expect(match(t, "/api/v1/workspaces/w1/sessions/s1%3Awatch")).toBeUndefined();
    expect(match("/x/{id}", "/x/s1%3Awatch")).toEqual({ id: "s1:watch" });
  });

  it("lets ** take zero or more segments, keeping %2F encoded in multi-segment values", () => {
    const t = "/v1/{path=files/**}:read";
    expect(match(t, "/v1/files/a/b%2Fc/d%20e:read")).toEqual({ path: "files/a/b%2Fc/d e" });
    expect(match(t, "/v1/files:read")).toEqual({ path: "files" });
    expect(match("/v1/**", "/v1/anything/at/all")).toEqual({});
  });

  it("binds multi-segment variables with * inside", () => {
    expect(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books/b%2F2")).toEqual({
      name: "shelves/s1/books/b%2F2",
    });
    expect(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/cds/b2")).toBeUndefined();
  });
});
