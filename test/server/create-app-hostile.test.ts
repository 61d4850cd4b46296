import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as http2 from "node:http2";
import { LaunchWorkspaceSessionRequestSchema } from "../../gen/workspaces/v1/launch_pb.js";
import type { RpcProtocol } from "../../server/rpc/write-protocol-error.js";
import { createListeningApp, type ListeningApp } from "../support/listening-app.js";
import { answerCode, envelope, rawExchange } from "../support/raw-exchange.js";
import { h2Close, h2Connect } from "./transport/one-port-clients.js";

let env: ListeningApp;
let session: http2.ClientHttp2Session;
beforeAll(async () => {
  // Hostile input is the point here: no limit may answer first.
  env = await createListeningApp({ limits: { perAddress: false, perToken: false, authFailuresPerAddress: false } });
  session = await h2Connect(env.url);
});
afterAll(async () => {
  await h2Close(session);
  await env?.close();
});

type Protocol = RpcProtocol | "rest";
interface Case {
  name: string;
  protocol: Protocol;
  /** The body as sent, before any framing. */
  body: Buffer;
  /** Extra headers (content-type is the protocol's unless given). */
  headers?: Record<string, string>;
  /** Framing override: the body is sent as given. */
  raw?: boolean;
  expect: string;
}

const launchRpc = "/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession";
const launchStreamRpc = "/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSessionStream";
const restPath = "/api/v1/workspaces/ws/sessions";

const json = (text: string) => Buffer.from(text, "utf8");
const badUtf8Json = Buffer.concat([json('{"workspace_id":"ws","initial_prompt":"a'), Buffer.from([0xff, 0xfe]), json('b"}')]);
const overlongJson = Buffer.concat([json('{"workspace_id":"ws","initial_prompt":"'), Buffer.from([0xc0, 0xaf]), json('"}')]);
const surrogateJson = Buffer.concat([json('{"workspace_id":"ws","initial_prompt":"'), Buffer.from([0xed, 0xa0, 0x80]), json('"}')]);
/** A binary launch whose initial_prompt bytes are not UTF-8. */
function badUtf8Proto(): Buffer {
  const bytes = Buffer.from(toBinary(LaunchWorkspaceSessionRequestSchema, create(LaunchWorkspaceSessionRequestSchema, { workspaceId: "ws", initialPrompt: "AAAA" })));
  const at = bytes.indexOf("AAAA");
  bytes[at] = 0xff;
  bytes[at + 1] = 0xc3;
  return bytes;
}
const goodProto = Buffer.from(toBinary(LaunchWorkspaceSessionRequestSchema, create(LaunchWorkspaceSessionRequestSchema, { workspaceId: "ws", initialPrompt: "hi" })));

const contentType: Record<Protocol, (binary: boolean) => string> = {
  rest: () => "application/json",
  "connect-unary": (b) => (b ? "application/proto" : "application/json"),
  "connect-stream": (b) => (b ? "application/connect+proto" : "application/connect+json"),
  grpc: (b) => (b ? "application/grpc+proto" : "application/grpc+json"),
  "grpc-web": (b) => (b ? "application/grpc-web+proto" : "application/grpc-web+json"),
};
const pathOf: Record<Protocol, string> = {
  rest: restPath,
  "connect-unary": launchRpc,
  "connect-stream": launchStreamRpc,
  grpc: launchRpc,
  "grpc-web": launchRpc,
};
const enveloped = (p: Protocol) => p === "connect-stream" || p === "grpc" || p === "grpc-web";
const rpcProtocols: Protocol[] = ["connect-unary", "connect-stream", "grpc", "grpc-web"];

const cases: Case[] = [];
for (const protocol of ["rest", ...rpcProtocols] as Protocol[]) {
  cases.push({ name: "JSON with bytes that are not UTF-8", protocol, body: badUtf8Json, expect: "invalid_argument" });
  cases.push({ name: "JSON with an overlong UTF-8 '/'", protocol, body: overlongJson, expect: "invalid_argument" });
  cases.push({ name: "JSON with a UTF-8-encoded surrogate", protocol, body: surrogateJson, expect: "invalid_argument" });
  cases.push({ name: "JSON that does not parse", protocol, body: json('{"workspace_id":'), expect: "invalid_argument" });
  cases.push({ name: "a JSON array for a message", protocol, body: json("[1,2]"), expect: "invalid_argument" });
  cases.push({ name: "JSON nested 5000 deep", protocol, body: json(`{"metadata":${"[".repeat(5000)}${"]".repeat(5000)}}`), expect: "invalid_argument" });
  cases.push({ name: "a well-formed launch (reaches the launch room)", protocol, body: json('{"workspace_id":"ws","initial_prompt":"hi"}'), expect: "unavailable" });
}
for (const protocol of rpcProtocols) {
  // Refused, never launched with U+FFFD; connect-node, like grpc-go, calls a message it cannot
  // deserialize `internal` ("parse binary: …").
  cases.push({ name: "binary with a string field that is not UTF-8", protocol, body: badUtf8Proto(), headers: { "content-type": contentType[protocol](true) }, expect: "internal" });
  cases.push({ name: "a well-formed binary launch", protocol, body: goodProto, headers: { "content-type": contentType[protocol](true) }, expect: "unavailable" });
}
for (const encoding of ["gzip", "br", "deflate", "x-made-up", "gzip, identity"]) {
  cases.push({ name: `Content-Encoding: ${encoding}`, protocol: "rest", body: gzipSync('{"workspace_id":"ws"}'), headers: { "content-encoding": encoding }, expect: "unimplemented" });
}
cases.push({ name: "Content-Encoding: identity", protocol: "rest", body: json('{"workspace_id":"ws","initial_prompt":"hi"}'), headers: { "content-encoding": "identity" }, expect: "unavailable" });
cases.push({ name: "an unknown Content-Encoding", protocol: "connect-unary", body: json("{}"), headers: { "content-encoding": "x-made-up" }, expect: "unimplemented" });
cases.push({ name: "an unknown grpc-encoding", protocol: "grpc", body: envelope(goodProto, 1), raw: true, headers: { "content-type": "application/grpc+proto", "grpc-encoding": "x-made-up" }, expect: "unimplemented" });
cases.push({ name: "a compressed frame without grpc-encoding", protocol: "grpc", body: envelope(goodProto, 1), raw: true, headers: { "content-type": "application/grpc+proto" }, expect: "internal" });
cases.push({ name: "a frame longer than the body", protocol: "grpc", body: envelope(goodProto).subarray(0, 8), raw: true, headers: { "content-type": "application/grpc+proto" }, expect: "invalid_argument" });
cases.push({ name: "gRPC-Web text mode (not implemented by connect-node)", protocol: "grpc-web", body: Buffer.from(envelope(goodProto).toString("base64")), raw: true, headers: { "content-type": "application/grpc-web-text" }, expect: "http 415" });
cases.push({ name: "gRPC-Web text mode without a token", protocol: "grpc-web", body: Buffer.from("AAAA"), raw: true, headers: { "content-type": "application/grpc-web-text", authorization: "" }, expect: "http 415" });
cases.push({ name: "REST with a text/plain body", protocol: "rest", body: json("{}"), headers: { "content-type": "text/plain" }, expect: "invalid_argument" });
cases.push({ name: "Connect with a text/plain body", protocol: "connect-unary", body: json("{}"), headers: { "content-type": "text/plain" }, expect: "http 415" });

describe("createApp", () => {
  it("answers hostile request bodies on every protocol with the right code and never 500", async () => {
    const results: string[] = [];
    let tried = 0;
    for (const c of cases) {
      for (const version of c.protocol === "grpc" ? ["h2"] : ["h1", "h2"]) {
        const binary = c.headers?.["content-type"] !== undefined;
        const headers: Record<string, string> = {
          "content-type": contentType[c.protocol](false),
          authorization: `Bearer ${env.apiToken}`,
          ...(c.protocol === "grpc" ? { te: "trailers" } : {}),
          ...c.headers,
        };
        if (headers.authorization === "") delete headers.authorization;
        const body = enveloped(c.protocol) && !c.raw ? envelope(c.body) : c.body;
        const answer = await rawExchange(version === "h1" ? { url: env.url } : { session }, { path: pathOf[c.protocol], headers, body });
        const got = answerCode(c.protocol, answer);
        tried++;
        results.push(`${got === c.expect ? "ok " : "BAD"} ${c.protocol} ${version} ${binary ? "(binary) " : ""}${c.name}: ${got}`);
        if (answer.status === 500 && c.expect !== "internal") results.push(`BAD 500: ${answer.body.toString().slice(0, 200)}`);
      }
    }
    console.log(`createApp: ${tried} hostile bodies over REST, Connect, gRPC and gRPC-Web (HTTP/1.1 and HTTP/2):\n${results.join("\n")}`);
    expect(results.filter((r) => r.startsWith("BAD"))).toEqual([]);
  });
});
