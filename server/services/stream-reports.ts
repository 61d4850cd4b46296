import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { StreamReportsRequest, StreamReportsResponseSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { createAsyncQueue } from "../hub/create-async-queue.js";
import { createKeyLock } from "../launch/create-key-lock.js";

/** What applies one item of a daemon's report stream, as the unary RPCs do. */
export interface ReportHandlers {
  ack(req: Extract<StreamReportsRequest["kind"], { case: "ack" }>["value"]): Promise<void>;
  report(req: Extract<StreamReportsRequest["kind"], { case: "report" }>["value"]): Promise<void>;
}

type Answer = MessageInitShape<typeof StreamReportsResponseSchema>;

/**
 * The answers of one `StreamReports` stream: every request is applied as it
 * arrives — acknowledgements at once, in any order; reports one after
 * another per session — and answered with its `seq` once applied, `code`
 * empty or the error's Connect code name. A refused item is only that item's
 * answer. After the daemon's side ends, what it sent is still applied and
 * answered; then the answers end. `signal` (the call's) ends them at once.
 */
export async function* streamReports(requests: AsyncIterable<StreamReportsRequest>, handlers: ReportHandlers, signal: AbortSignal): AsyncGenerator<Answer> {
  const answers = createAsyncQueue<Answer>(signal);
  const sessionOrder = createKeyLock();
  let pending = 0;
  let received = false;

  function answer(seq: bigint, error?: unknown): void {
    if (error === undefined) answers.push({ seq });
    else {
      const e = ConnectError.from(error);
      answers.push({ seq, code: codeToString(e.code), message: e.rawMessage });
    }
    pending--;
    if (received && pending === 0) answers.close();
  }

  function apply(req: StreamReportsRequest): Promise<void> {
    const kind = req.kind;
    if (kind.case === "ack") return handlers.ack(kind.value);
    if (kind.case === "report") {
      // One session's reports in the order sent: each waits for the one before it.
      const turn = sessionOrder.acquire(kind.value.sessionId);
      return turn.then(async (release) => {
        try {
          await handlers.report(kind.value);
        } finally {
          release();
        }
      });
    }
    return Promise.reject(new ConnectError("a request must carry an ack or a report", Code.InvalidArgument));
  }

  const reading = (async () => {
    try {
      for await (const req of requests) {
        pending++;
        const seq = req.seq;
        apply(req).then(
          () => answer(seq),
          (error: unknown) => answer(seq, error),
        );
      }
    } finally {
      received = true;
      if (pending === 0) answers.close();
    }
  })();
  reading.catch(() => answers.close());
  yield* answers;
  await reading;
}
