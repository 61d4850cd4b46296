// The launch benchmark's daemon, written against the public DaemonService
// only (as a daemon in another language would be): one Subscribe stream per
// machine it is given, and every launch acknowledged `ok` at once, starting
// nothing. Run by bench/launch-replicas.ts as a child process:
//
//   node --import tsx bench/bench-daemon.ts '[{"server":"http://127.0.0.1:8080","token":"wsm_…"}]'
//
// A stream the server ends (a restart, a failed probe) is opened again at
// once, as a daemon reconnects. Ends on SIGTERM.
//
// Acknowledgements go on one StreamReports stream per machine (the protocol's
// long-lived report stream); BENCH_ACKS=unary sends each as its own
// Acknowledge call instead, as daemons that predate the stream do.
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DaemonService, type StreamReportsRequestSchema } from "../gen/workspaces/v1/daemon_service_pb.js";
import { createAsyncQueue } from "../server/hub/create-async-queue.js";

const machines = JSON.parse(process.argv[2] ?? "[]") as { server: string; token: string }[];
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());

/** What the real daemon acknowledges for a started agent, for a session the benchmark never runs. */
const payload: JsonObject = { agent_session_id: "bench", provider: "claude_code", model: "", work_dir: "/bench", branch: "main", pid: 1 };

const unaryAcks = process.env.BENCH_ACKS === "unary";

type Acknowledge = (commandId: string) => void;

/** Acknowledges on a StreamReports stream of its own, reopened when it ends; refusals are printed. */
function streamAcks(client: ReturnType<typeof createClient<typeof DaemonService>>, headers: Record<string, string>): Acknowledge {
  let requests = createAsyncQueue<MessageInitShape<typeof StreamReportsRequestSchema>>();
  let seq = 0n;
  const open = () => {
    const current = requests;
    void (async () => {
      try {
        for await (const answer of client.streamReports(current, { headers, signal: stop.signal })) {
          if (answer.code !== "") process.stderr.write(`bench-daemon: acknowledgement ${answer.seq} refused: ${answer.code} ${answer.message}\n`);
        }
      } catch (error) {
        if (!stop.signal.aborted) process.stderr.write(`bench-daemon: the report stream failed (${String(error)}); opening another\n`);
      }
      if (stop.signal.aborted) return;
      requests = createAsyncQueue();
      open();
    })();
  };
  open();
  return (commandId) => requests.push({ seq: ++seq, kind: { case: "ack", value: { commandId, status: "ok", payload } } });
}

async function serve(server: string, token: string): Promise<void> {
  const client = createClient(DaemonService, createGrpcTransport({ baseUrl: server }));
  const headers = { Authorization: `Bearer ${token}` };
  const acknowledge: Acknowledge = unaryAcks
    ? (commandId) =>
        void client.acknowledge({ commandId, status: "ok", payload }, { headers }).catch((error: unknown) => {
          if (!stop.signal.aborted) process.stderr.write(`bench-daemon: acknowledging ${commandId} failed: ${String(error)}\n`);
        })
    : streamAcks(client, headers);
  while (!stop.signal.aborted) {
    try {
      for await (const command of client.subscribe({ daemonVersion: "bench", hostname: "bench" }, { headers, signal: stop.signal })) {
        if (command.kind.case === "launch") acknowledge(command.commandId);
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
