// The launch benchmark's daemon, written against the public DaemonService
// only (as a daemon in another language would be): one Subscribe stream per
// machine it is given, and every launch acknowledged `ok` at once, starting
// nothing. Run by bench/launch-replicas.ts as a child process:
//
//   node --import tsx bench/bench-daemon.ts '[{"server":"http://127.0.0.1:8080","token":"wsm_…"}]'
//
// A stream the server ends (a restart, a failed probe) is opened again at
// once, as a daemon reconnects. Ends on SIGTERM.
import type { JsonObject } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DaemonService } from "../gen/workspaces/v1/daemon_service_pb.js";

const machines = JSON.parse(process.argv[2] ?? "[]") as { server: string; token: string }[];
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());

/** What the real daemon acknowledges for a started agent, for a session the benchmark never runs. */
const payload: JsonObject = { agent_session_id: "bench", provider: "claude_code", model: "", work_dir: "/bench", branch: "main", pid: 1 };

async function serve(server: string, token: string): Promise<void> {
  const client = createClient(DaemonService, createGrpcTransport({ baseUrl: server }));
  const headers = { Authorization: `Bearer ${token}` };
  while (!stop.signal.aborted) {
    try {
      for await (const command of client.subscribe({ daemonVersion: "bench", hostname: "bench" }, { headers, signal: stop.signal })) {
        if (command.kind.case !== "launch") continue;
        client.acknowledge({ commandId: command.commandId, status: "ok", payload }, { headers }).catch((error: unknown) => {
          if (!stop.signal.aborted) process.stderr.write(`bench-daemon: acknowledging ${command.commandId} failed: ${String(error)}\n`);
        });
      }
      if (!stop.signal.aborted) process.stderr.write("bench-daemon: the server ended the command stream; subscribing again\n");
    } catch (error) {
      if (stop.signal.aborted) return;
      process.stderr.write(`bench-daemon: the command stream failed (${String(error)}); subscribing again\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

await Promise.all(machines.map((m) => serve(m.server, m.token)));
