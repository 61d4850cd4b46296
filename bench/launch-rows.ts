// The rows of the launch benchmark and how each is measured: launches through
// the server under test over every protocol (h2load over HTTP/2, autocannon
// over HTTP/1.1), the same RPC answered with a constant by the bare servers,
// and the GET row (a stored session read, against raw node:http answering the
// same bytes). A launch row is checked against the server's own counts: a row
// with any launch answered other than `ok` is reported, not measured.
import { runAutocannon } from "./autocannon-load.js";
import { benchMachine, type BenchStack, workspaceId } from "./bench-stack.js";
import { type LoadAnswer, logFileIn, runH2load } from "./h2load.js";
import { launchErrorsBetween, readServerCounts, type ServerCounts } from "./launch-counts.js";
import { launchRequest, type Protocol, protocolNames, writeBody } from "./launch-requests.js";

/** Who answers: the server under test (a real launch), a ceiling, or the GET row's targets. */
export type Answerer = "launch" | "bare-connect" | "bare-grpc-js" | "get-raw-http" | "get-rest" | "get-connect";

export interface Row {
  id: string;
  name: string;
  answerer: Answerer;
  protocol: Protocol;
  /** HTTP/2 (h2load) or HTTP/1.1 (autocannon). */
  http: "h2" | "h1";
  /** Requests in flight. */
  concurrency: number;
}

export interface Sample extends LoadAnswer {
  /** Answers other than OK, by code or kind; a sample with any is not a measurement. */
  errors: Record<string, number>;
}

const answererNames: Record<Answerer, string> = {
  launch: "launch",
  "bare-connect": "bare connect-node, constant",
  "bare-grpc-js": "bare @grpc/grpc-js, constant",
  "get-raw-http": "GET: raw node:http, same bytes",
  "get-rest": "GET: REST session read",
  "get-connect": "GET: Connect JSON GetWorkspaceSession",
};

export function row(answerer: Answerer, protocol: Protocol, http: "h2" | "h1", concurrency: number): Row {
  const id = `${answerer} ${protocol} ${http} ${concurrency}`;
  const name = `${answererNames[answerer]}${answerer.startsWith("get") ? "" : `, ${protocolNames[protocol]}`}, ${http === "h2" ? "HTTP/2" : "HTTP/1.1"} x${concurrency}`;
  return { id, name, answerer, protocol, http, concurrency };
}

/** Every row of one round, each baseline beside the rows it is compared with. */
export function allRows(): Row[] {
  const rows: Row[] = [];
  for (const concurrency of [1, 16, 64]) {
    rows.push(row("launch", "grpc", "h2", concurrency), row("bare-connect", "grpc", "h2", concurrency), row("bare-grpc-js", "grpc", "h2", concurrency));
    for (const protocol of ["grpc-web", "connect-proto", "connect-json"] as const) {
      rows.push(row("launch", protocol, "h2", concurrency));
      if (concurrency === 64) rows.push(row("bare-connect", protocol, "h2", concurrency));
    }
    rows.push(row("launch", "rest", "h1", concurrency));
    if (concurrency === 16) rows.push(row("launch", "connect-json", "h1", 16));
  }
  rows.push(row("get-raw-http", "rest", "h1", 16), row("get-rest", "rest", "h1", 16), row("get-connect", "connect-json", "h1", 16));
  return rows;
}

/** h2load's shape for `concurrency` streams in flight: one connection for one, else four, the streams spread over them. */
function h2Shape(concurrency: number): { connections: number; streams: number } {
  const connections = concurrency < 4 ? 1 : 4;
  return { connections, streams: concurrency / connections };
}

/** Measures `row` for `seconds` against `stack`; `dir` holds request bodies and h2load's logs. */
export async function measureRow(stack: BenchStack, target: Row, seconds: number, dir: string): Promise<Sample> {
  const { url, apiToken } = stack;
  if (target.answerer.startsWith("get")) return measureGet(stack, target, seconds);
  const bare = target.answerer !== "launch";
  const request = launchRequest(target.protocol, workspaceId, benchMachine, bare ? undefined : apiToken);
  const base = target.answerer === "bare-connect" ? stack.bare.connect : target.answerer === "bare-grpc-js" ? stack.bare.grpcJs : url;
  const before = bare ? undefined : await readServerCounts(url, apiToken);
  const answer =
    target.http === "h2"
      ? await runH2load({
          url: base + request.path,
          headers: request.headers,
          bodyFile: await writeBody(dir, target.id, request),
          ...h2Shape(target.concurrency),
          seconds,
          logFile: logFileIn(dir, target.id),
        })
      : await runAutocannon({ url: base + request.path, method: "POST", headers: request.headers, body: request.body, connections: target.concurrency, seconds });
  const errors = before ? launchErrorsBetween(before, await settledCounts(url, apiToken)) : {};
  // The load generator cancels the requests in flight when its time is up: at most `concurrency` of them, the end of the run, not errors.
  const cut = target.concurrency;
  if (errors.canceled !== undefined && errors.canceled <= cut) delete errors.canceled;
  if (answer.failed > cut) errors["failed at the HTTP level"] = answer.failed;
  if (answer.ok === 0) errors["nothing answered within the run"] = 1;
  return { ...answer, errors };
}

/** The server's counts once two readings 50 ms apart agree (launches cut at the end of a run are still being counted), or after 3 s. */
async function settledCounts(url: string, token: string): Promise<ServerCounts> {
  let last = await readServerCounts(url, token);
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await readServerCounts(url, token);
    if (JSON.stringify(now.launches) === JSON.stringify(last.launches)) return now;
    last = now;
  }
  return last;
}

async function measureGet(stack: BenchStack, target: Row, seconds: number): Promise<Sample> {
  const headers = { authorization: `Bearer ${stack.apiToken}` };
  const spec =
    target.answerer === "get-raw-http"
      ? { url: `${stack.bare.rawHttp}/api/v1/workspaces/${workspaceId}/sessions/${stack.sessionId}`, headers: {} }
      : target.answerer === "get-rest"
        ? { url: `${stack.url}/api/v1/workspaces/${workspaceId}/sessions/${stack.sessionId}`, headers }
        : {
            url: `${stack.url}/workspaces.v1.WorkspaceSessionService/GetWorkspaceSession`,
            method: "POST" as const,
            headers: { ...headers, "content-type": "application/json" },
            body: new TextEncoder().encode(JSON.stringify({ workspaceId, sessionId: stack.sessionId })),
          };
  const answer = await runAutocannon({ ...spec, connections: target.concurrency, seconds });
  return { ...answer, errors: answer.failed > 0 ? { "non-2xx or failed": answer.failed } : {} };
}
