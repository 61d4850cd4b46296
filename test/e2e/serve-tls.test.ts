import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { makeSelfSigned, requireCommand, type SelfSigned } from "../server/transport/one-port-fixtures.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { launchRequest } from "./harness/stream-clients.js";

const run = promisify(execFile);
let stack: Stack | undefined;
let tls: SelfSigned | undefined;
let skipped = "";

beforeAll(async () => {
  await requireCommand("openssl", (note) => {
    skipped = note;
  });
  if (skipped) return;
  tls = await makeSelfSigned();
  stack = await startStack({ serverArgs: ["--tls-cert", tls.certPath, "--tls-key", tls.keyPath], ca: tls.cert });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (tls) await rm(tls.dir, { recursive: true, force: true });
});

describe("wsctl serve --tls-cert --tls-key", () => {
  it("serves the launch over TLS to a daemon, gRPC over ALPN h2, Connect and curl on both HTTP versions", async (ctx) => {
    if (skipped) ctx.skip();
    const s = stack!;
    expect(s.url).toMatch(/^https:\/\//);
    const headers = { Authorization: `Bearer ${s.apiToken}` };
    const request = launchRequest(s.workspaceId, seedRequest());
    const grpc = createClient(WorkspaceSessionService, createGrpcTransport({ baseUrl: s.url, nodeOptions: { ca: tls!.cert } }));
    expect((await grpc.launchWorkspaceSession(request, { headers })).status).toBe("ok");
    const connect = createClient(
      WorkspaceSessionService,
      createConnectTransport({ baseUrl: s.url, httpVersion: "1.1", nodeOptions: { ca: tls!.cert } }),
    );
    expect((await connect.launchWorkspaceSession(request, { headers })).status).toBe("ok");
    for (const flag of ["--http1.1", "--http2"]) {
      const { stdout } = await run("curl", [
        "-sS",
        flag,
        "--cacert",
        tls!.certPath,
        "-w",
        "\n%{http_version}",
        "-H",
        `Authorization: Bearer ${s.apiToken}`,
        "-H",
        "Content-Type: application/json",
        "--data",
        JSON.stringify(seedRequest()),
        `${s.url}/api/v1/workspaces/${s.workspaceId}/sessions`,
      ]);
      const [body, version] = stdout.split("\n");
      expect(JSON.parse(body!)).toMatchObject({ status: "ok" });
      expect(version).toBe(flag === "--http2" ? "2" : "1.1");
    }
  });
});
