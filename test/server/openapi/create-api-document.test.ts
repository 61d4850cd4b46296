import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idempotencyKeyHeader, idempotentMethods } from "../../../server/launch/create-idempotency-keys.js";
import { seedRequest, seedRequestText } from "../../e2e/harness/seed-request.js";
import { jsonSchemaErrors } from "../../support/json-schema-errors.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import type { Json } from "./openapi-assertions.js";

// The document as the app serves it: the generated code's descriptors (which
// carry no comments) plus gen/descriptor_set.ts, the validators' rules and the
// idempotent methods.
let env: ListeningApp;
let doc: Json;
beforeAll(async () => {
  env = await createListeningApp();
  doc = (await (await fetch(`${env.url}/openapi.json`)).json()) as Json;
});
afterAll(async () => {
  await env?.close();
});

const launchPath = "/api/v1/workspaces/{workspace_id}/sessions";
const operations = (): [string, Json][] =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([m, op]) => [`${m} ${path}`, op as Json] as [string, Json]));

/** The fields the server names in the BadRequest of a REST launch with `body`. */
async function rejectedFields(body: string): Promise<string[]> {
  const res = await fetch(`${env.url}/api/v1/workspaces/ws/sessions`, {
    method: "POST",
    headers: { ...env.headers(), "content-type": "application/json" },
    body,
  });
  const error = (await res.json()) as Json;
  if (res.status !== 400) return [];
  const badRequest = error.details.find((d: Json) => d.type === "google.rpc.BadRequest");
  return [...new Set<string>(badRequest.debug.field_violations.map((v: Json) => v.field))].sort();
}

function schemaFailures(body: unknown): string[] {
  const schema = doc.paths[launchPath].post.requestBody.content["application/json"].schema;
  return [...new Set(jsonSchemaErrors(doc, schema, body))].sort();
}

describe("createApiDocument", () => {
  it("carries the .proto comments: a summary and a description for every operation, described tags, fields and messages", () => {
    const text = JSON.stringify(doc);
    expect(text.match(/"description":/g)!.length).toBeGreaterThan(150);
    for (const [name, op] of operations()) {
      expect(op.summary, name).toMatch(/^[A-Z]\w+ \S/);
      expect(op.description, name).toContain(op.summary.split(" ")[0]);
      expect(op.summary, name).not.toContain("\n");
    }
    for (const tag of doc.tags) expect(tag.description, tag.name).toMatch(/\w/);
    const launch = doc.paths[launchPath].post;
    expect(launch.summary).toBe("LaunchWorkspaceSession starts a session and returns the daemon's acknowledgement");
    expect(launch.description).not.toContain("buf:lint");
    expect(doc.components.schemas["workspaces.v1.Session"].properties.create_time.description).toBe("When the session was accepted.");
    expect(doc.components.schemas["workspaces.v1.SessionState"].description).toContain("where a session is");
    expect(doc.info.description).toContain("Bearer");
  });

  it("names a server, the bearer scheme and the error body on every operation", () => {
    expect(doc.servers).toEqual([{ url: "/", description: expect.stringContaining("serves this document") }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.Error.required).toEqual(["code", "message", "details", "detail"]);
    for (const [name, op] of operations()) {
      expect(op.responses["400"], name).toEqual({ $ref: "#/components/responses/Error400" });
    }
  });

  it("takes an Idempotency-Key header exactly on the operations of the methods that honour it", () => {
    const withKey = operations()
      .filter(([, op]) => op.parameters?.some((p: Json) => p.in === "header" && p.name === idempotencyKeyHeader))
      .map(([, op]) => op["x-grpc-method"].slice(1).replace("/", "."));
    expect(withKey.sort()).toEqual([...idempotentMethods].sort());
  });

  it("states the validators' patterns and enums on path parameters and body fields", () => {
    const launch = doc.paths[launchPath].post;
    expect(launch.parameters.find((p: Json) => p.name === "workspace_id").schema.pattern).toBe("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    const code = doc.components.schemas["workspaces.v1.CodeSettings"].properties;
    expect(code.default_provider.anyOf).toEqual([{ type: "string", enum: ["claude_code", "codex"] }, { type: "null" }]);
    const codex = doc.components.schemas["workspaces.v1.CodexSettings"].properties;
    expect(codex.thinking.anyOf[0].enum).toEqual(["minimal", "low", "medium", "high", "xhigh"]);
    const list = doc.paths[launchPath].get.parameters.find((p: Json) => p.name === "page_size");
    expect(list.schema).toMatchObject({ type: "integer", minimum: 0, maximum: 500 });
  });

  it("fails the seed's placeholder body exactly at the fields the server rejects", async () => {
    const rejected = await rejectedFields(seedRequestText);
    expect(rejected).toEqual([
      "agent_session_id",
      "machine_id",
      "resume_session_id",
      "session_settings.code.default_provider",
      "session_settings.voice.language",
      "user_session_id",
      "worktree_name",
    ]);
    expect(schemaFailures(JSON.parse(seedRequestText))).toEqual(rejected);
  });

  it.each([
    ["the seed filled in", seedRequest(), 0],
    ["the seed filled in with ids", seedRequest({ machine_id: "m1", worktree_name: "feature/x", resume_session_id: "abc-123" }), 0],
    ["a bad model and thinking", { session_settings: { code: { providers: { codex: { model: "-x", thinking: "max" } } } } }, 2],
    ["an empty optional id and a bad worktree name", { machine_id: "", worktree_name: "a__b", initial_prompt: "hi\u0000" }, 3],
    ["a bad language and mode", { session_settings: { code: { mode: "plan" }, voice: { language: "english!" } } }, 2],
  ] as const)("agrees with the server on %s", async (_name, body, bad) => {
    const rejected = await rejectedFields(JSON.stringify(body));
    expect(rejected).toHaveLength(bad);
    expect(schemaFailures(body)).toEqual(rejected);
  });
});
