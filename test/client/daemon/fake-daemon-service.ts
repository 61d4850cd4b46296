// An in-memory DaemonService for the daemon's tests: pushes commands on the
// open Subscribe stream and records what the daemon sends back.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createRouterTransport, type HandlerContext, type Transport } from "@connectrpc/connect";
import { vi } from "vitest";
import {
  type AcknowledgeRequest,
  type DaemonCommand,
  DaemonCommandSchema,
  DaemonService,
  type ReportSessionStateRequest,
  type StreamReportsRequest,
  type SubscribeRequest,
} from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { TranscriptEntry } from "../../../gen/workspaces/v1/transcript_pb.js";
import type { SessionState } from "../../../gen/workspaces/v1/session_pb.js";

interface OpenStream {
  items: DaemonCommand[];
  ended: boolean;
  wake: () => void;
}

export interface FakeDaemonService {
  /** An in-memory transport to the fake. */
  transport: Transport;
  /** The fake's routes, to serve it over a real server too. */
  routes: (router: ConnectRouter) => void;
  subscribeRequests: SubscribeRequest[];
  /** Authorization header of every call, in order. */
  authorizations: string[];
  acks: AcknowledgeRequest[];
  reports: ReportSessionStateRequest[];
  /** Transcript entries stored per session, each offset once (AppendTranscript, deduplicated as the server does). */
  transcripts: Map<string, TranscriptEntry[]>;
  /** While true, AppendTranscript fails with `unavailable`. */
  failTranscripts: boolean;
  /** Waits until `sessionId`'s transcript holds an entry `until` accepts; all its entries. */
  waitForTranscript(sessionId: string, until: (entries: TranscriptEntry[]) => boolean): Promise<TranscriptEntry[]>;
  /** While true, ReportSessionState fails with `unavailable` (the server is down for reports), and StreamReports answers reports so. */
  failReports: boolean;
  /** Calls of each DaemonService method, by its local name (`acknowledge`, `streamReports`, ...). */
  calls: Record<string, number>;
  /** Subscribes still to refuse with `already_exists` (another daemon instance holds the machine). */
  refuseSubscribes: number;
  /** Sends a command on the open stream. */
  push(command: MessageInitShape<typeof DaemonCommandSchema>): void;
  /** Ends the open stream normally. */
  endStream(): void;
  waitForSubscribes(count: number): Promise<void>;
  waitForAck(commandId: string): Promise<AcknowledgeRequest>;
  waitForReport(sessionId: string, state: SessionState): Promise<ReportSessionStateRequest>;
}

const waitOptions = { timeout: 15_000, interval: 20 };

/** Options of createFakeDaemonService. */
export interface FakeDaemonServiceOptions {
  token: string;
  /** Whether it implements StreamReports; default true. Without it the call fails `unimplemented`, as on a server that predates it. */
  streamReports?: boolean;
}

export function createFakeDaemonService(options: FakeDaemonServiceOptions): FakeDaemonService {
  let current: OpenStream | undefined;
  const fake: Omit<FakeDaemonService, "transport" | "routes"> = {
    subscribeRequests: [],
    authorizations: [],
    acks: [],
    reports: [],
    failReports: false,
    calls: {},
    transcripts: new Map(),
    failTranscripts: false,
    waitForTranscript: (sessionId, until) =>
      vi.waitFor(() => {
        const entries = fake.transcripts.get(sessionId) ?? [];
        if (!until(entries)) throw new Error(`waiting for the transcript of ${sessionId} (${entries.length} entries)`);
        return entries;
      }, waitOptions),
    refuseSubscribes: 0,
    push(command) {
      if (current === undefined || current.ended) throw new Error("no open stream");
      current.items.push(create(DaemonCommandSchema, command));
      current.wake();
    },
    endStream() {
      if (current === undefined) return;
      current.ended = true;
      current.wake();
    },
    async waitForSubscribes(count) {
      await vi.waitFor(() => {
        if (fake.subscribeRequests.length < count || current === undefined || current.ended) {
          throw new Error(`waiting for subscribe #${count}`);
        }
      }, waitOptions);
    },
    waitForAck: (commandId) =>
      vi.waitFor(() => {
        const ack = fake.acks.find((a) => a.commandId === commandId);
        if (ack === undefined) throw new Error(`no acknowledgement of ${commandId}`);
        return ack;
      }, waitOptions),
    waitForReport: (sessionId, state) =>
      vi.waitFor(() => {
        const report = fake.reports.find((r) => r.sessionId === sessionId && r.state === state);
        if (report === undefined) throw new Error(`no report ${state} for ${sessionId}`);
        return report;
      }, waitOptions),
  };

  const authorize = (header: Headers, method: string) => {
    fake.calls[method] = (fake.calls[method] ?? 0) + 1;
    const authorization = header.get("authorization") ?? "";
    fake.authorizations.push(authorization);
    if (authorization !== `Bearer ${options.token}`) {
      throw new ConnectError("unknown machine token", Code.Unauthenticated);
    }
  };

  const routes = (router: ConnectRouter) => {
    router.service(DaemonService, {
      async *subscribe(request, context) {
        authorize(context.requestHeader, "subscribe");
        if (fake.refuseSubscribes > 0) {
          fake.refuseSubscribes--;
          fake.subscribeRequests.push(request);
          throw new ConnectError("machine m1 already has a live daemon (instance other on elsewhere)", Code.AlreadyExists);
        }
        const stream: OpenStream = { items: [], ended: false, wake: () => undefined };
        current = stream;
        fake.subscribeRequests.push(request);
        while (true) {
          const next = stream.items.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (stream.ended || context.signal.aborted) return;
          await new Promise<void>((resolve) => {
            stream.wake = resolve;
            context.signal.addEventListener("abort", () => resolve(), { once: true });
          });
        }
      },
      acknowledge(request, context) {
        authorize(context.requestHeader, "acknowledge");
        fake.acks.push(request);
        return {};
      },
      appendTranscript(request, context) {
        authorize(context.requestHeader, "appendTranscript");
        if (fake.failTranscripts) throw new ConnectError("the server is restarting", Code.Unavailable);
        const stored = fake.transcripts.get(request.sessionId) ?? [];
        fake.transcripts.set(request.sessionId, stored);
        const from = Number(request.fromOffset);
        if (from <= stored.length) stored.push(...request.entries.slice(stored.length - from));
        return { nextOffset: BigInt(stored.length) };
      },
      reportSessionState(request, context) {
        authorize(context.requestHeader, "reportSessionState");
        if (fake.failReports) throw new ConnectError("the server is restarting", Code.Unavailable);
        fake.reports.push(request);
        return {};
      },
      ...(options.streamReports === false
        ? {}
        : {
            async *streamReports(requests: AsyncIterable<StreamReportsRequest>, context: HandlerContext) {
              authorize(context.requestHeader, "streamReports");
              // Answered one by one, in order, as the unary calls would have been.
              for await (const { seq, kind } of requests) {
                if (kind.case === "ack") {
                  fake.acks.push(kind.value);
                  yield { seq };
                } else if (kind.case !== "report") yield { seq, code: "invalid_argument", message: "neither an ack nor a report" };
                else if (fake.failReports) yield { seq, code: "unavailable", message: "the server is restarting" };
                else {
                  fake.reports.push(kind.value);
                  yield { seq };
                }
              }
            },
          }),
    });
  };
  return Object.assign(fake, { routes, transport: createRouterTransport(routes) });
}
