import { PassThrough } from "node:stream";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import type {
  AcknowledgeRequestSchema,
  DaemonService,
  ReportSessionStateRequestSchema,
  StreamReportsRequestSchema,
} from "../../gen/workspaces/v1/daemon_service_pb.js";

type Request = MessageInitShape<typeof StreamReportsRequestSchema>;
type Acknowledgement = MessageInitShape<typeof AcknowledgeRequestSchema>;
type Report = MessageInitShape<typeof ReportSessionStateRequestSchema>;

/** Options of createReportStream. */
export interface ReportStreamOptions {
  client: Client<typeof DaemonService>;
  /**
   * `headers` go with every call (the machine token); `timeoutMs` is how long
   * one item waits for its answer (and one unary call for its response),
   * default 10 000 ms. The stream itself has no deadline.
   */
  callOptions: CallOptions;
  log: (line: string) => void;
}

/**
 * The daemon's acknowledgements and state reports on one long-lived
 * `DaemonService.StreamReports` stream, each call one attempt as a unary
 * call is: it resolves once the server's answer to that item says it was
 * recorded, and rejects with a ConnectError of the code the answer carries
 * (the code the unary call would have failed with), of the stream's failure
 * when the stream ends or breaks before the answer (every unanswered item
 * fails so; the caller's retry sends it on the next stream), or
 * `deadline_exceeded` after `timeoutMs` without an answer (that stream is
 * ended, so the retry goes on a new one). Callers retry as they retry unary
 * calls (callWithRetry). The stream is opened by the first item and kept
 * open. A server without StreamReports (`unimplemented`: one that predates
 * it) gets the unary Acknowledge and ReportSessionState instead, until
 * reconnect().
 */
export interface ReportStream {
  /** One attempt at delivering an acknowledgement (see the interface). */
  acknowledge(request: Acknowledgement): Promise<void>;
  /** One attempt at delivering a state report (see the interface). */
  reportSessionState(request: Report): Promise<void>;
  /**
   * The daemon subscribes again, maybe to another server (a failover) or an
   * upgraded one: the open stream is ended (what it carries is still
   * answered), the next item opens one to where calls go now, and a server
   * that lacked StreamReports is asked again.
   */
  reconnect(): void;
  /** Ends the open stream (what it carries is still answered); a later item opens another. */
  end(): void;
}

interface Waiting {
  resolve(): void;
  reject(error: ConnectError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** One StreamReports call: what it was sent and not yet answered. */
interface OpenStream {
  /** The requests, read by the call until ended and drained (object mode). */
  feed: PassThrough;
  waiting: Map<bigint, Waiting>;
  /** Takes no more items: ended by end(), reconnect() or a timed-out item. */
  ended: boolean;
  controller: AbortController;
}

export function createReportStream(options: ReportStreamOptions): ReportStream {
  const { client, log } = options;
  const headers = options.callOptions.headers;
  const timeoutMs = options.callOptions.timeoutMs ?? 10_000;
  const unaryOptions = { ...options.callOptions, timeoutMs };
  let current: OpenStream | undefined;
  let unsupported = false;
  let toldUnsupported = false;
  let seq = 0n;

  function open(): OpenStream {
    const feed = new PassThrough({ objectMode: true });
    // A request written after the call stopped reading is lost: it fails with the call, and is retried.
    feed.on("error", () => {});
    const stream: OpenStream = { feed, waiting: new Map(), ended: false, controller: new AbortController() };
    current = stream;
    void read(stream);
    return stream;
  }

  async function read(stream: OpenStream): Promise<void> {
    let failure: ConnectError;
    try {
      const requests: AsyncIterable<Request> = stream.feed;
      for await (const answer of client.streamReports(requests, { headers, signal: stream.controller.signal })) {
        const waiting = stream.waiting.get(answer.seq);
        if (waiting === undefined) continue; // timed out: its retry has a seq of its own
        if (answer.code === "") settle(stream, answer.seq);
        else settle(stream, answer.seq, new ConnectError(answer.message, codeFromString(answer.code) ?? Code.Unknown));
      }
      failure = new ConnectError("the report stream ended before answering", Code.Unavailable);
    } catch (error) {
      failure = ConnectError.from(error);
    }
    retire(stream);
    stream.feed.destroy();
    if (stream.waiting.size === 0) return;
    if (failure.code === Code.Unimplemented) {
      if (!toldUnsupported) log("daemon: the server does not implement StreamReports; acknowledgements and reports go as unary calls");
      unsupported = true;
      toldUnsupported = true;
    } else {
      log(`daemon: the report stream failed (${Code[failure.code]}): ${failure.rawMessage}; ${stream.waiting.size} unanswered item(s) to send again`);
    }
    for (const key of [...stream.waiting.keys()]) settle(stream, key, failure);
  }

  /** Takes no more items on `stream`; it is cancelled once nothing on it waits for an answer. */
  function retire(stream: OpenStream): void {
    if (current === stream) current = undefined;
    if (!stream.ended) {
      stream.ended = true;
      stream.feed.end();
    }
    if (stream.waiting.size === 0) stream.controller.abort();
  }

  function settle(stream: OpenStream, key: bigint, error?: ConnectError): void {
    const waiting = stream.waiting.get(key);
    if (waiting === undefined) return;
    stream.waiting.delete(key);
    clearTimeout(waiting.timer);
    if (error === undefined) waiting.resolve();
    else waiting.reject(error);
    if (stream.ended && stream.waiting.size === 0) stream.controller.abort();
  }

  function viaStream(kind: Request["kind"]): Promise<void> {
    const stream = current ?? open();
    const key = ++seq;
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = { resolve, reject, timer: undefined };
      waiting.timer = setTimeout(() => {
        settle(stream, key, new ConnectError(`no answer on the report stream within ${timeoutMs} ms`, Code.DeadlineExceeded));
        // The stream may be stuck: the retry goes on a new one.
        retire(stream);
      }, timeoutMs);
      stream.waiting.set(key, waiting);
      stream.feed.write({ seq: key, kind } satisfies Request);
    });
  }

  /** One attempt on the stream, or as the unary `call` when the server has no StreamReports. */
  async function attempt(kind: Request["kind"], call: () => Promise<unknown>): Promise<void> {
    if (!unsupported) {
      try {
        return await viaStream(kind);
      } catch (error) {
        const failure = ConnectError.from(error);
        if (!(failure.code === Code.Unimplemented && unsupported)) throw failure;
      }
    }
    await call();
  }

  return {
    acknowledge: (request) =>
      attempt({ case: "ack", value: request }, () => client.acknowledge(request, unaryOptions)),
    reportSessionState: (request) =>
      attempt({ case: "report", value: request }, () => client.reportSessionState(request, unaryOptions)),
    reconnect() {
      unsupported = false;
      if (current !== undefined) retire(current);
    },
    end() {
      if (current !== undefined) retire(current);
    },
  };
}
