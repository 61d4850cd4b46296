import { Readable } from "node:stream";
import { create, equals, type JsonValue, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LaunchWorkspaceSessionRequestSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createRouteTable, type Route } from "../../../server/rest/create-route-table.js";
import { requestFromHttp } from "../../../server/rest/request-from-http.js";
import type { NodeRequest } from "../../../server/rpc/node-handler.js";

const table = createRouteTable([WorkspaceSessionService]);
const route = (name: string): Route => table.routes.find((r) => r.method.name === name)!;
const launch = route("LaunchWorkspaceSession");
const list = route("ListWorkspaceSessions");

/** A Node request carrying `body` in chunks, as far as requestFromHttp reads one. */
function fakeRequest(body: Buffer, chunk = 7): NodeRequest {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) chunks.push(body.subarray(i, i + chunk));
  const req = Readable.from(chunks, { objectMode: false }) as unknown as NodeRequest;
  (req as { headers: Record<string, string> }).headers = { "content-type": "application/json" };
  return req;
}

/** What decoding ends in: a message, or the code of the ConnectError it threw (anything else fails the property). */
async function decode(r: Route, body: Buffer, target = "/"): Promise<"ok" | Code> {
  try {
    await requestFromHttp(r, ["ws"], target, fakeRequest(body), 1024 * 1024);
    return "ok";
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    return error.code;
  }
}

const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const runs = { numRuns: 500 };

// Field names of the launch request as sent over JSON, with values of any JSON type.
const launchKeys = [
  "machine_id", "machineId", "user_session_id", "metadata", "initial_prompt", "initialPrompt", "worktree_name",
  "session_settings", "resume_session_id", "agent_session_id", "workspace_id", "unknown_field",
];
const launchLike = fc.dictionary(fc.constantFrom(...launchKeys), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });

describe("requestFromHttp", () => {
  it("ends any byte string in a message or invalid_argument, never another error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const outcome = await decode(launch, Buffer.from(bytes));
        count(`bytes:${outcome === "ok" ? "ok" : Code[outcome]}`);
        expect(outcome === "ok" || outcome === Code.InvalidArgument).toBe(true);
      }),
      runs,
    );
  });

  it("ends any JSON shaped like a launch in a message or invalid_argument", async () => {
    await fc.assert(
      fc.asyncProperty(launchLike, async (json) => {
        const outcome = await decode(launch, Buffer.from(JSON.stringify(json)));
        count(`json:${outcome === "ok" ? "ok" : Code[outcome]}`);
        expect(outcome === "ok" || outcome === Code.InvalidArgument).toBe(true);
      }),
      runs,
    );
  });

  it("decodes what protobuf JSON encodes, with proto or JSON field names, to the same message", async () => {
    const text = fc.string({ unit: "grapheme", maxLength: 20 });
    const request = fc.record({
      machineId: fc.option(text, { nil: undefined }),
      initialPrompt: fc.option(text, { nil: undefined }),
      worktreeName: fc.option(text, { nil: undefined }),
      metadata: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.boolean(), fc.constant(null))), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(request, fc.boolean(), async (init, protoNames) => {
        const message = create(LaunchWorkspaceSessionRequestSchema, { ...init, workspaceId: "ws" });
        const json = toJson(LaunchWorkspaceSessionRequestSchema, message, { useProtoFieldName: protoNames }) as JsonValue;
        const decoded = await requestFromHttp(launch, ["ws"], "/", fakeRequest(Buffer.from(JSON.stringify(json))), 1024 * 1024);
        count("round-trip");
        expect(equals(LaunchWorkspaceSessionRequestSchema, decoded as typeof message, message)).toBe(true);
      }),
      runs,
    );
  });

  it("refuses JSON that is not UTF-8 with invalid_argument, wherever the bad bytes are", async () => {
    const bad = fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 10 }), bad, fc.string({ maxLength: 10 }), async (before, bytes, after) => {
        // The strings escaped as JSON string contents, the bad bytes raw between them.
        const inner = (text: string) => JSON.stringify(text).slice(1, -1);
        const body = Buffer.concat([Buffer.from(`{"initial_prompt": "${inner(before)}`), Buffer.from(bytes), Buffer.from(`${inner(after)}"}`)]);
        const outcome = await decode(launch, body);
        count("bad-utf8");
        expect(outcome).toBe(Code.InvalidArgument);
      }),
      runs,
    );
  });

  it("ends any query string in a message or invalid_argument", async () => {
    const key = fc.oneof(fc.constantFrom("page_size", "pageSize", "page_token", "state", "machine_id", "a.b", "workspace_id", "x"), fc.string({ maxLength: 8 }));
    const query = fc.array(fc.tuple(key, fc.string({ unit: "binary", maxLength: 12 })), { maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(query, async (pairs) => {
        const q = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
        const outcome = await decode(list, Buffer.alloc(0), `/api/v1/workspaces/ws/sessions?${q}`);
        count(`query:${outcome === "ok" ? "ok" : Code[outcome]}`);
        expect(outcome === "ok" || outcome === Code.InvalidArgument).toBe(true);
      }),
      runs,
    );
    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    console.log(`requestFromHttp: ${total} generated requests decoded: ${JSON.stringify(Object.fromEntries(tally))}`);
  });
});
