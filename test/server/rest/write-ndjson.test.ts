import * as http from "node:http";
import * as http2 from "node:http2";
import { Code, ConnectError, type HandlerContext, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionEventType } from "../../../gen/workspaces/v1/session_pb.js";
import {
  type WatchWorkspaceSessionRequest,
  WorkspaceSessionService,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createRestHandler } from "../../../server/rest/create-rest-handler.js";
import { serviceBinding } from "../../../server/rpc/service-binding.js";
import { startH2c, startHttp, type TestServer } from "./rest-test-server.js";

type Watch = NonNullable<Partial<ServiceImpl<typeof WorkspaceSessionService>>["watchWorkspaceSession"]>;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const handlerFor = (watch: Watch, interceptors: Interceptor[] = []) =>
  createRestHandler({
    services: [serviceBinding(WorkspaceSessionService, { watchWorkspaceSession: watch })],
    interceptors,
    onInternalError: () => {},
  });

const event = (sequence: number) => ({
  sessionId: "s1",
  sequence: BigInt(sequence),
  type: SessionEventType.RUNNING,
});

/** `event(sequence)` as a REST line: proto names, the fields holding "" or 0 included. */
const eventJson = (sequence: number) => ({
  session_id: "s1",
  sequence: String(sequence),
  type: "SESSION_EVENT_TYPE_RUNNING",
  state: "SESSION_STATE_UNSPECIFIED",
  machine_id: "",
  message: "",
});

/** Read an NDJSON response body line by line. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  }
  if (buffered !== "") yield buffered;
}

describe("writeNdjson", () => {
  it("streams one JSON message per line, each written as it is produced", async () => {
    const firstRead = deferred();
    let seen: WatchWorkspaceSessionRequest | undefined;
    const kinds: boolean[] = [];
    const spy: Interceptor = (next) => async (req) => {
      kinds.push(req.stream);
      return next(req);
    };
    server = await startHttp(
      handlerFor(async function* (req) {
        seen = req;
        yield event(1);
        await firstRead.promise; // the client got line 1 before line 2 exists
        yield event(2);
      }, [spy]),
    );
    const res = await fetch(`${server.url}/api/v1/workspaces/w1/sessions/s1:watch?after_sequence=5`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const it = lines(res.body!);
    expect(JSON.parse((await it.next()).value as string)).toEqual(eventJson(1));
    firstRead.resolve();
    expect(JSON.parse((await it.next()).value as string)).toMatchObject({ sequence: "2" });
    expect((await it.next()).done).toBe(true);
    expect(seen?.workspaceId).toBe("w1");
    expect(seen?.sessionId).toBe("s1");
    expect(seen?.afterSequence).toBe(5n);
    expect(kinds).toEqual([true]);
  });

  it("answers an error raised before the first message with its HTTP status and JSON body", async () => {
    server = await startHttp(
      handlerFor(async function* () {
        yield* [];
        throw new ConnectError("session s9 not found", Code.NotFound);
      }),
    );
    const res = await fetch(`${server.url}/api/v1/workspaces/w1/sessions/s9:watch`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      code: "not_found",
      message: "session s9 not found",
      details: [],
      detail: "session s9 not found",
    });
  });

  it("ends with an error line when the stream fails after it started", async () => {
    server = await startHttp(
      handlerFor(async function* () {
        yield event(1);
        throw new ConnectError("daemon went away", Code.Unavailable);
      }),
    );
    const res = await fetch(`${server.url}/api/v1/workspaces/w1/sessions/s1:watch`);
    expect(res.status).toBe(200);
    const all = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(all).toEqual([
      eventJson(1),
      { error: { code: "unavailable", message: "daemon went away", details: [], detail: "daemon went away" } },
    ]);
  });

  it("aborts the implementation's signal when the client disconnects", async () => {
    const aborted = deferred<unknown>();
    server = await startHttp(
      handlerFor(async function* (_req, ctx: HandlerContext) {
        yield event(1);
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        aborted.resolve(ctx.signal.reason);
      }),
    );
    const url = `${server.url}/api/v1/workspaces/w1/sessions/s1:watch`;
    const req = http.get(url, (res) => {
      res.once("data", () => req.destroy()); // leave after the first line
    });
    req.on("error", () => {}); // the destroyed request reports its own abort
    const reason = await aborted.promise;
    expect(reason).toBeInstanceOf(ConnectError);
    expect((reason as ConnectError).code).toBe(Code.Canceled);
  });

  it("streams over cleartext HTTP/2 too", async () => {
    server = await startH2c(
      handlerFor(async function* () {
        yield event(1);
        yield event(2);
      }),
    );
    const session = http2.connect(server.url);
    try {
      const stream = session.request({ ":method": "GET", ":path": "/api/v1/workspaces/w1/sessions/s1:watch" });
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve));
      expect(headers[":status"]).toBe(200);
      expect(headers["content-type"]).toBe("application/x-ndjson");
      let text = "";
      stream.setEncoding("utf8");
      for await (const chunk of stream) text += chunk;
      expect(text.trimEnd().split("\n").map((l) => JSON.parse(l).sequence)).toEqual(["1", "2"]);
    } finally {
      session.close();
    }
  });
});
