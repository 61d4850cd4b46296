import * as http2 from "node:http2";
import { fromBinary, type JsonObject } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import type { LaunchWorkspaceSessionRequest } from "../../../gen/workspaces/v1/launch_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import {
  type ListWorkspaceSessionsRequest,
  WorkspaceSessionService,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { badRequest } from "../../../server/errors/bad-request.js";
import { createRestHandler, type RestHandlerOptions } from "../../../server/rest/create-rest-handler.js";
import { rawRequest, startH2c, startHttp, type TestServer } from "./rest-test-server.js";

// The seed page's request body, byte for byte, with its nullable machine_id null.
const seedBody = `{
  "machine_id": null,
  "user_session_id": "<string>",
  "metadata": {},
  "initial_prompt": "<string>",
  "worktree_name": "<string>",
  "session_settings": {
    "code": {
      "mode": "agent",
      "default_provider": "<string>",
      "providers": {
        "claude_code": {
          "model": "haiku"
        },
        "codex": {
          "model": "gpt-5.1-codex-max",
          "thinking": "low"
        }
      }
    },
    "voice": {
      "language": "<string>"
    }
  },
  "resume_session_id": "<string>",
  "agent_session_id": "<string>"
}`;

type SessionImpl = Partial<ServiceImpl<typeof WorkspaceSessionService>>;

interface Seen {
  launch?: LaunchWorkspaceSessionRequest;
  list?: ListWorkspaceSessionsRequest;
  ctx?: HandlerContext;
  calls: number;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function fakeImpl(seen: Seen, overrides: SessionImpl = {}): SessionImpl {
  return {
    launchWorkspaceSession(req, ctx) {
      seen.calls++;
      seen.launch = req;
      seen.ctx = ctx;
      ctx.responseHeader.set("x-session-id", "s1");
      return { status: "ok", payload: { session_id: "s1" } };
    },
    listWorkspaceSessions(req, ctx) {
      seen.calls++;
      seen.list = req;
      seen.ctx = ctx;
      return { sessions: [{ sessionId: "s1", workspaceId: req.workspaceId, state: SessionState.RUNNING }] };
    },
    ...overrides,
  };
}

async function start(seen: Seen, options: Partial<RestHandlerOptions> = {}, overrides: SessionImpl = {}) {
  const handler = createRestHandler({
    services: [
      { service: WorkspaceSessionService, impl: fakeImpl(seen, overrides) },
      { service: MachineService, impl: {} },
    ],
    onInternalError: () => {},
    ...options,
  });
  server = await startHttp(handler);
  return server.url;
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("createRestHandler", () => {
  it("maps the seed request over POST to the launch implementation and answers with proto names", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const res = await post(`${url}/api/v1/workspaces/w1/sessions`, seedBody, {
      authorization: "Bearer t0k",
      "idempotency-key": "k-1",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-session-id")).toBe("s1");
    expect(await res.text()).toBe('{"status":"ok","payload":{"session_id":"s1"}}');
    const m = seen.launch!;
    expect(m.workspaceId).toBe("w1");
    expect(m.machineId).toBeUndefined();
    expect(m.userSessionId).toBe("<string>");
    expect(m.metadata).toEqual({}); // a Struct is a JsonObject in protobuf-es
    expect(m.initialPrompt).toBe("<string>");
    expect(m.worktreeName).toBe("<string>");
    expect(m.sessionSettings?.code?.mode).toBe("agent");
    expect(m.sessionSettings?.code?.defaultProvider).toBe("<string>");
    expect(m.sessionSettings?.code?.providers?.claudeCode?.model).toBe("haiku");
    expect(m.sessionSettings?.code?.providers?.codex?.model).toBe("gpt-5.1-codex-max");
    expect(m.sessionSettings?.code?.providers?.codex?.thinking).toBe("low");
    expect(m.sessionSettings?.voice?.language).toBe("<string>");
    expect(m.resumeSessionId).toBe("<string>");
    expect(m.agentSessionId).toBe("<string>");
    const ctx = seen.ctx!;
    expect(ctx.protocolName).toBe("rest");
    expect(ctx.requestMethod).toBe("POST");
    expect(ctx.method.name).toBe("LaunchWorkspaceSession");
    expect(ctx.url).toBe(`${url}/api/v1/workspaces/w1/sessions`);
    expect(ctx.requestHeader.get("authorization")).toBe("Bearer t0k");
    expect(ctx.requestHeader.get("idempotency-key")).toBe("k-1");
    expect(ctx.signal.aborted).toBe(true); // aborted once the call completed, as Connect does
  });

  it("accepts JSON names, null and absent for optional fields, and lets the path win over the body", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const body = JSON.stringify({
      workspaceId: "other",
      machineId: "m1",
      initialPrompt: null,
      sessionSettings: { code: { defaultProvider: "codex", providers: { claudeCode: { model: "opus" } } } },
    });
    const res = await post(`${url}/api/v1/workspaces/w%202/sessions`, body);
    expect(res.status).toBe(200);
    const m = seen.launch!;
    expect(m.workspaceId).toBe("w 2");
    expect(m.machineId).toBe("m1");
    expect(m.initialPrompt).toBeUndefined();
    expect(m.userSessionId).toBeUndefined();
    expect(m.metadata).toBeUndefined();
    expect(m.sessionSettings?.code?.defaultProvider).toBe("codex");
    expect(m.sessionSettings?.code?.providers?.claudeCode?.model).toBe("opus");
  });

  it("takes an empty body as an empty message and accepts a JSON content type with parameters or none", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const empty = await fetch(`${url}/api/v1/workspaces/w1/sessions`, { method: "POST" });
    expect(empty.status).toBe(200);
    expect(seen.launch?.workspaceId).toBe("w1");
    const charset = await post(`${url}/api/v1/workspaces/w1/sessions`, '{"worktree_name":"b"}', {
      "content-type": "application/json; charset=utf-8",
    });
    expect(charset.status).toBe(200);
    expect(seen.launch?.worktreeName).toBe("b");
    const none = await rawRequest(`${url}/api/v1/workspaces/w1/sessions`, {
      method: "POST",
      chunks: ['{"worktree_name":"c"}'],
    });
    expect(none.status).toBe(200);
    expect(seen.launch?.worktreeName).toBe("c");
  });

  it("serves the same launch over cleartext HTTP/2", async () => {
    const seen: Seen = { calls: 0 };
    server = await startH2c(
      createRestHandler({ services: [{ service: WorkspaceSessionService, impl: fakeImpl(seen) }] }),
    );
    const session = http2.connect(server.url);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/api/v1/workspaces/w1/sessions",
        "content-type": "application/json",
        authorization: "Bearer t0k",
      });
      stream.end(seedBody);
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve));
      let text = "";
      stream.setEncoding("utf8");
      for await (const chunk of stream) text += chunk;
      expect(headers[":status"]).toBe(200);
      expect(text).toBe('{"status":"ok","payload":{"session_id":"s1"}}');
      expect(seen.launch?.workspaceId).toBe("w1");
      expect(seen.launch?.sessionSettings?.code?.providers?.codex?.thinking).toBe("low");
      expect(seen.ctx?.requestHeader.get("authorization")).toBe("Bearer t0k");
      expect([...(seen.ctx?.requestHeader.keys() ?? [])].filter((k) => k.startsWith(":"))).toEqual([]);
    } finally {
      session.close();
    }
  });

  it("maps path variables and query parameters for a GET, repeated names and JSON names included", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const res = await fetch(
      `${url}/api/v1/workspaces/w1/sessions?page_size=10&state=SESSION_STATE_RUNNING&machine_id=m%201&pageToken=p`,
    );
    expect(res.status).toBe(200);
    // Every field, those holding "", 0 or false included; unset messages (times) stay out.
    expect(await res.json()).toEqual({
      sessions: [
        {
          session_id: "s1",
          workspace_id: "w1",
          machine_id: "",
          state: "SESSION_STATE_RUNNING",
          provider: "",
          model: "",
          agent_session_id: "",
          work_dir: "",
          branch: "",
          pid: 0,
          error_message: "",
          transcript_length: "0",
          stopped_by: "",
        },
      ],
      next_page_token: "",
    });
    const m = seen.list!;
    expect(m.workspaceId).toBe("w1");
    expect(m.pageSize).toBe(10);
    expect(m.state).toBe(SessionState.RUNNING);
    expect(m.machineId).toBe("m 1");
    expect(m.pageToken).toBe("p");
  });

  it("takes an enum in a query parameter by its short name too, as the CLI spells it", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    for (const spelling of ["running", "RUNNING", "SESSION_STATE_RUNNING", "3"]) {
      const res = await fetch(`${url}/api/v1/workspaces/w1/sessions?state=${spelling}`);
      expect(res.status, spelling).toBe(200);
      expect(seen.list!.state).toBe(SessionState.RUNNING);
    }
  });

  it("refuses unknown or invalid query parameters, naming each", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const res = await fetch(`${url}/api/v1/workspaces/w1/sessions?page_size=ten&colour=red&state=NOPE`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; details: { debug: JsonObject }[] };
    expect(body.code).toBe("invalid_argument");
    const violations = body.details[0]?.debug.field_violations as { field: string; description: string }[];
    expect(violations.map((v) => v.field)).toEqual(["page_size", "colour", "state"]);
    expect(violations[2]?.description).toContain("SESSION_STATE_RUNNING");
    expect(seen.calls).toBe(0);
  });

  it("answers an unknown JSON field with invalid_argument naming it, as a BadRequest violation", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const body = JSON.stringify({ machine_id: "m1", session_settings: { code: { mode: "agent", bogus: 1 } } });
    const res = await post(`${url}/api/v1/workspaces/w1/sessions`, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as {
      code: string;
      message: string;
      detail: string;
      details: { type: string; value: string; debug: JsonObject }[];
    };
    expect(json.code).toBe("invalid_argument");
    expect(json.message).toContain("session_settings.code.bogus");
    expect(json.detail).toBe(json.message);
    expect(json.details).toHaveLength(1);
    const [detail] = json.details;
    expect(detail?.type).toBe("google.rpc.BadRequest");
    const decoded = fromBinary(BadRequestSchema, Buffer.from(detail!.value, "base64"));
    expect(decoded.fieldViolations.map((v) => v.field)).toEqual(["session_settings.code.bogus"]);
    expect(detail?.debug).toEqual({
      field_violations: [{ field: "session_settings.code.bogus", description: decoded.fieldViolations[0]!.description }],
    });
    expect(seen.calls).toBe(0);
  });

  it("names the path of a value of the wrong type", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const res = await post(`${url}/api/v1/workspaces/w1/sessions`, '{"session_settings":{"voice":{"language":5}}}');
    expect(res.status).toBe(400);
    const json = (await res.json()) as { message: string };
    expect(json.message).toMatch(/^session_settings\.voice\.language: /);
  });

  it("refuses malformed JSON and non-JSON content types with invalid_argument", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const malformed = await post(`${url}/api/v1/workspaces/w1/sessions`, '{"machine_id": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "invalid_argument", message: "request body is not valid JSON" });
    const form = await post(`${url}/api/v1/workspaces/w1/sessions`, "machine_id=m1", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(400);
    expect(await form.json()).toMatchObject({ code: "invalid_argument" });
    expect(seen.calls).toBe(0);
  });

  it("refuses a body over readMaxBytes with 429 before the implementation runs", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen, { readMaxBytes: 1024 });
    const big = JSON.stringify({ initial_prompt: "x".repeat(2000) });
    const declared = await post(`${url}/api/v1/workspaces/w1/sessions`, big);
    expect(declared.status).toBe(429);
    expect(await declared.json()).toMatchObject({
      code: "resource_exhausted",
      message: "request body is larger than 1024 bytes",
    });
    const chunked = await rawRequest(`${url}/api/v1/workspaces/w1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      chunks: [big.slice(0, 600), big.slice(600, 1200), big.slice(1200)],
    });
    expect(chunked.headers["content-length"]).toBeDefined();
    expect(chunked.status).toBe(429);
    expect(JSON.parse(chunked.body)).toMatchObject({ code: "resource_exhausted" });
    expect(seen.calls).toBe(0);
    // A body just under the cap still goes through.
    const ok = await post(`${url}/api/v1/workspaces/w1/sessions`, JSON.stringify({ initial_prompt: "x".repeat(900) }));
    expect(ok.status).toBe(200);
  });

  it.each([
    { name: "invalid_argument", code: Code.InvalidArgument, status: 400 },
    { name: "failed_precondition", code: Code.FailedPrecondition, status: 400 },
    { name: "unauthenticated", code: Code.Unauthenticated, status: 401 },
    { name: "permission_denied", code: Code.PermissionDenied, status: 403 },
    { name: "not_found", code: Code.NotFound, status: 404 },
    { name: "already_exists", code: Code.AlreadyExists, status: 409 },
    { name: "resource_exhausted", code: Code.ResourceExhausted, status: 429 },
    { name: "unimplemented", code: Code.Unimplemented, status: 501 },
    { name: "unavailable", code: Code.Unavailable, status: 503 },
    { name: "deadline_exceeded", code: Code.DeadlineExceeded, status: 504 },
    { name: "data_loss", code: Code.DataLoss, status: 500 },
  ])("answers a ConnectError $name with HTTP $status and the error body", async ({ name, code, status }) => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen, {}, {
      launchWorkspaceSession() {
        throw new ConnectError("machine m1 is offline", code, { "retry-after": "5" });
      },
    });
    const res = await post(`${url}/api/v1/workspaces/w1/sessions`, "{}");
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({
      code: name,
      message: "machine m1 is offline",
      details: [],
      detail: "machine m1 is offline",
    });
  });

  it("carries badRequest details thrown by the implementation", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen, {}, {
      launchWorkspaceSession() {
        throw badRequest([{ field: "session_settings.code.mode", description: "must be agent" }]);
      },
    });
    const res = await post(`${url}/api/v1/workspaces/w1/sessions`, "{}");
    expect(res.status).toBe(400);
    const json = (await res.json()) as { details: { type: string; debug: JsonObject }[] };
    expect(json.details).toEqual([
      {
        type: "google.rpc.BadRequest",
        value: expect.any(String),
        debug: { field_violations: [{ field: "session_settings.code.mode", description: "must be agent" }] },
      },
    ]);
  });

  it("answers a plain Error with 500 internal error, never its message, and reports it", async () => {
    const seen: Seen = { calls: 0 };
    const reported: unknown[] = [];
    const url = await start(
      seen,
      { onInternalError: (e) => reported.push(e) },
      {
        launchWorkspaceSession() {
          throw new Error("SQLITE_CONSTRAINT at /srv/app/db.ts:12");
        },
      },
    );
    const res = await post(`${url}/api/v1/workspaces/w1/sessions`, "{}");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: "internal", message: "internal error", details: [], detail: "internal error" });
    expect(text).not.toContain("SQLITE");
    expect(reported).toHaveLength(1);
  });

  it("runs interceptors in Connect's order; they read headers and set context values the implementation sees", async () => {
    const kUser = createContextKey<string | undefined>(undefined);
    const order: string[] = [];
    const auth: Interceptor = (next) => async (req) => {
      order.push(`auth:${req.stream ? "stream" : "unary"}:${req.method.name}`);
      const token = req.header.get("authorization");
      if (token !== "Bearer good") throw new ConnectError("missing or unknown token", Code.Unauthenticated);
      req.contextValues.set(kUser, "alice");
      return next(req);
    };
    const log: Interceptor = (next) => async (req) => {
      order.push("log");
      const res = await next(req);
      order.push("log:done");
      return res;
    };
    const seen: Seen = { calls: 0 };
    const url = await start(seen, { interceptors: [log, auth] });
    const denied = await post(`${url}/api/v1/workspaces/w1/sessions`, "{}", { authorization: "Bearer bad" });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ code: "unauthenticated" });
    expect(seen.calls).toBe(0);
    order.length = 0;
    const ok = await post(`${url}/api/v1/workspaces/w1/sessions`, "{}", { authorization: "Bearer good" });
    expect(ok.status).toBe(200);
    expect(order).toEqual(["log", "auth:unary:LaunchWorkspaceSession", "log:done"]);
    expect(seen.ctx?.values.get(kUser)).toBe("alice");
  });

  it("returns false for paths without a route so the request falls through, and 405 for another method", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const connectPath = await post(`${url}/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession`, "{}");
    expect(connectPath.status).toBe(404);
    expect(await connectPath.text()).toBe("fallthrough");
    const unknown = await fetch(`${url}/api/v1/nothing`);
    expect(await unknown.text()).toBe("fallthrough");
    const wrongMethod = await fetch(`${url}/api/v1/workspaces/w1/sessions`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST");
    expect(await wrongMethod.json()).toMatchObject({ code: "unimplemented" });
  });

  it("answers unimplemented for a bound method the implementation lacks", async () => {
    const seen: Seen = { calls: 0 };
    const url = await start(seen);
    const res = await fetch(`${url}/api/v1/machines/m1`);
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({
      code: "unimplemented",
      message: "workspaces.v1.MachineService.GetMachine is not implemented",
    });
  });
});



