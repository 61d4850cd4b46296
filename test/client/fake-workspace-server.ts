import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { MachineService } from "../../gen/workspaces/v1/machine_service_pb.js";
import { PermissionService } from "../../gen/workspaces/v1/permission_service_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { CliIo } from "../../client/wsctl/cli-output.js";

/**
 * A real Connect server on loopback serving test implementations of the
 * client-facing services: sessions, machines and permissions (methods left out
 * answer `unimplemented`): `url1` speaks HTTP/1.1, `url2` HTTP/2 without TLS
 * (h2c). Connect, gRPC and gRPC-Web on both.
 */
export interface FakeWorkspaceServer {
  url1: string;
  url2: string;
  close(): Promise<void>;
}

export async function startFakeWorkspaceServer(impl: {
  sessions?: Partial<ServiceImpl<typeof WorkspaceSessionService>>;
  machines?: Partial<ServiceImpl<typeof MachineService>>;
  permissions?: Partial<ServiceImpl<typeof PermissionService>>;
}): Promise<FakeWorkspaceServer> {
  const handler = connectNodeAdapter({
    routes(router: ConnectRouter) {
      router.service(WorkspaceSessionService, impl.sessions ?? {});
      router.service(MachineService, impl.machines ?? {});
      router.service(PermissionService, impl.permissions ?? {});
    },
  });
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const listen = (server: http.Server | http2.Http2Server) =>
    new Promise<string>((resolve) => {
      server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    });
  const url1 = await listen(h1);
  const url2 = await listen(h2);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  return {
    url1,
    url2,
    async close() {
      for (const s of sessions) s.destroy();
      h1.closeAllConnections();
      await Promise.all([
        new Promise((r) => h1.close(r)),
        new Promise((r) => h2.close(r)),
      ]);
    },
  };
}

/** What a CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A directory that does not exist: a verb run there finds no data/credentials.json, whatever the checkout holds. */
export const noCredentialsDir = path.join(tmpdir(), "wsctl-test-no-such-dir");

/** Runs a wsctl verb with captured output; `isTTY` defaults to false, `cwd` to `noCredentialsDir`. */
export async function runCli(
  run: (args: string[], io: CliIo) => Promise<number>,
  args: string[],
  io: Partial<CliIo> = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    env: {},
    isTTY: false,
    cwd: noCredentialsDir,
    ...io,
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}
