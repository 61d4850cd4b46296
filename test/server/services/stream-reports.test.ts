import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { type StreamReportsRequest, StreamReportsRequestSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { createAsyncQueue } from "../../../server/hub/create-async-queue.js";
import { type ReportHandlers, streamReports } from "../../../server/services/stream-reports.js";

const ack = (seq: number, commandId: string): StreamReportsRequest =>
  create(StreamReportsRequestSchema, { seq: BigInt(seq), kind: { case: "ack", value: { commandId, status: "ok" } } });
const report = (seq: number, sessionId: string, state: SessionState): StreamReportsRequest =>
  create(StreamReportsRequestSchema, { seq: BigInt(seq), kind: { case: "report", value: { sessionId, state } } });

async function* from(requests: StreamReportsRequest[]): AsyncGenerator<StreamReportsRequest> {
  yield* requests;
}

async function collect(requests: AsyncIterable<StreamReportsRequest>, handlers: ReportHandlers, signal = new AbortController().signal) {
  const answers: { seq: bigint; code?: string; message?: string }[] = [];
  for await (const a of streamReports(requests, handlers, signal)) answers.push(a as { seq: bigint; code?: string; message?: string });
  return answers;
}

/** A promise and the functions that settle it. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("streamReports", () => {
  it("answers every request once with its seq, and ends after the daemon's side once all are answered", async () => {
    const seen: string[] = [];
    const answers = await collect(from([ack(1, "c-1"), report(2, "s-1", SessionState.RUNNING), ack(3, "c-2")]), {
      ack: async (req) => void seen.push(`ack ${req.commandId}`),
      report: async (req) => void seen.push(`report ${req.sessionId}`),
    });
    expect(answers.map((a) => a.seq).sort()).toEqual([1n, 2n, 3n]);
    expect(answers.every((a) => a.code === undefined)).toBe(true);
    expect(seen.sort()).toEqual(["ack c-1", "ack c-2", "report s-1"]);
  });

  it("answers a refused item with the unary call's code name and message, and goes on with the next", async () => {
    const answers = await collect(from([ack(1, "missing"), ack(2, "c-2"), create(StreamReportsRequestSchema, { seq: 3n })]), {
      ack: async (req) => {
        if (req.commandId === "missing") throw new ConnectError("command missing not found", Code.NotFound);
      },
      report: async () => {},
    });
    const bySeq = new Map(answers.map((a) => [a.seq, a]));
    expect(bySeq.get(1n)).toMatchObject({ code: "not_found", message: "command missing not found" });
    expect(bySeq.get(2n)?.code).toBeUndefined();
    expect(bySeq.get(3n)).toMatchObject({ code: "invalid_argument" });
  });

  it("applies acknowledgements side by side, but one session's reports one after another in the order sent", async () => {
    const slowAck = deferred();
    const firstReport = deferred();
    const order: string[] = [];
    const requests = createAsyncQueue<StreamReportsRequest>();
    const answers = collect(requests, {
      ack: async (req) => {
        if (req.commandId === "slow") await slowAck.promise;
        order.push(`ack ${req.commandId}`);
      },
      report: async (req) => {
        if (req.state === SessionState.RUNNING) await firstReport.promise;
        order.push(`report ${req.sessionId} ${SessionState[req.state]}`);
      },
    });
    requests.push(ack(1, "slow"));
    requests.push(ack(2, "fast"));
    requests.push(report(3, "s-1", SessionState.RUNNING));
    requests.push(report(4, "s-1", SessionState.EXITED));
    requests.push(report(5, "s-2", SessionState.EXITED));
    await new Promise((resolve) => setImmediate(resolve));
    // The fast ack is not held up by the slow one; s-1's exit waits for its running report; s-2 waits for nobody.
    expect(order).toEqual(["ack fast", "report s-2 EXITED"]);
    firstReport.resolve();
    slowAck.resolve();
    requests.close();
    await answers;
    expect([...order].sort()).toEqual(["ack fast", "ack slow", "report s-1 EXITED", "report s-1 RUNNING", "report s-2 EXITED"]);
    expect(order.indexOf("report s-1 RUNNING")).toBeLessThan(order.indexOf("report s-1 EXITED"));
  });

  it("ends the answers at once when the call's signal aborts", async () => {
    const requests = createAsyncQueue<StreamReportsRequest>();
    const controller = new AbortController();
    const never = deferred();
    const answers = collect(requests, { ack: () => never.promise, report: async () => {} }, controller.signal);
    requests.push(ack(1, "c-1"));
    controller.abort();
    requests.close();
    expect(await answers).toEqual([]);
  });
});
