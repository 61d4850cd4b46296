// The child process that hosts the launch benchmark's ceilings
// (bench/bare-servers.ts), apart from the server under test so neither
// shares the other's event loop or heap. Given the constant launch answer (as
// protobuf JSON) and the GET row's body, it prints one JSON line with the
// servers' URLs and ends on SIGTERM.
//
//   node --import tsx bench/bare-servers-process.ts '{"answer":{…},"getBody":"…"}'
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { LaunchWorkspaceSessionResponseSchema } from "../gen/workspaces/v1/launch_pb.js";
import { startBareConnect, startBareGrpcJs, startRawHttp } from "./bare-servers.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as { answer: JsonValue; getBody: string };
const answer = fromJson(LaunchWorkspaceSessionResponseSchema, spec.answer);
const servers = { connect: await startBareConnect(answer), grpcJs: await startBareGrpcJs(answer), rawHttp: await startRawHttp(spec.getBody) };
process.stdout.write(`${JSON.stringify({ connect: servers.connect.url, grpcJs: servers.grpcJs.url, rawHttp: servers.rawHttp.url })}\n`);
process.on("SIGTERM", () => {
  void Promise.all(Object.values(servers).map((s) => s.close())).finally(() => process.exit(0));
});
