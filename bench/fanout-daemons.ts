// The idle fan-out of the launch benchmark: one process holding N daemons'
// DaemonService.Subscribe streams open, each with its own machine token, and
// doing nothing else (the server's pings are read and dropped; HTTP/2 PINGs
// are answered by node:http2). Spoken on raw node:http2 with a hand-made gRPC
// frame, the public protocol at its cheapest, so the client's own cost does
// not crowd the server's two cores. Streams are spread over connections of
// `perConnection` each, 10 by default: the server allows
// `defaultMaxConcurrentStreams` (100) per connection, but each ping round
// probes every stream's connection with an HTTP/2 PING and node:http2 cancels
// a session's PINGs past its 10 outstanding (maxOutstandingPings), which the
// server reads as a dead peer and closes those streams. Prints "opened N" once every stream is sent; whether the
// server holds them is for the caller to read (wsctl_machines_online). Any
// stream the server ends or refuses is reported on stderr. Ends on SIGTERM.
//
//   node --import tsx bench/fanout-daemons.ts '{"server":"http://127.0.0.1:8080","tokensFile":"/tmp/…/tokens.json","count":1000,"perConnection":10}'
//
// `count` defaults to every token in the file, `perConnection` to 10.
import { readFile } from "node:fs/promises";
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { SubscribeRequestSchema } from "../gen/workspaces/v1/daemon_service_pb.js";
import { defaultMaxConcurrentStreams } from "../server/limits/request-limits.js";
import { grpcFrame } from "./launch-requests.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as { server: string; tokensFile: string; count?: number; perConnection?: number };
const perConnection = spec.perConnection ?? 10;
if (perConnection > defaultMaxConcurrentStreams) {
  throw new Error(`at most ${defaultMaxConcurrentStreams} streams per connection: the server refuses more`);
}
const all = JSON.parse(await readFile(spec.tokensFile, "utf8")) as string[];
const tokens = all.slice(0, spec.count ?? all.length);
if (tokens.length < (spec.count ?? 0)) throw new Error(`${spec.tokensFile} holds ${all.length} tokens, not ${spec.count}`);
const sessions: http2.ClientHttp2Session[] = [];
let stopping = false;
let ended = 0;

function report(what: string): void {
  if (stopping) return;
  ended++;
  if (ended <= 5 || ended % 1000 === 0) process.stderr.write(`fanout-daemons: ${what} (${ended} so far)\n`);
}

for (let i = 0; i < tokens.length; i++) {
  if (i % perConnection === 0) {
    const session = http2.connect(spec.server);
    session.on("error", (error) => report(`connection failed: ${error.message}`));
    sessions.push(session);
  }
  const body = grpcFrame(toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { daemonVersion: "bench-fanout", hostname: `fanout-${i}` })));
  const stream = sessions.at(-1)!.request({
    ":method": "POST",
    ":path": "/workspaces.v1.DaemonService/Subscribe",
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${tokens[i]}`,
  });
  stream.on("data", () => {});
  stream.on("trailers", (trailers) => report(`stream ${i} ended: grpc-status ${trailers["grpc-status"]} ${trailers["grpc-message"] ?? ""}`));
  stream.on("error", (error) => report(`stream ${i} failed: ${error.message}`));
  stream.end(body);
}
process.stdout.write(`opened ${tokens.length}\n`);
process.on("SIGTERM", () => {
  stopping = true;
  for (const session of sessions) session.destroy();
  process.exit(0);
});
