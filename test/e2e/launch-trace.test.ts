import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll-until.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";

/** A span as the OTLP/HTTP JSON exporter sends it, with its service. */
interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

// An in-process OTLP/HTTP collector: takes POST /v1/traces (JSON) and keeps the spans.
const spans: CollectedSpan[] = [];
const collector = http.createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => {
    body += d;
  });
  req.on("end", () => {
    if (req.url === "/v1/traces") {
      const doc = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: Omit<CollectedSpan, "service">[] }[];
        }[];
      };
      for (const rs of doc.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, parentSpanId: s.parentSpanId ?? "", service });
      }
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});

let stack: Stack;
const saved = { ...process.env };
beforeAll(async () => {
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const { port } = collector.address() as { port: number };
  // The server and daemon processes inherit these.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.OTEL_BSP_SCHEDULE_DELAY = "100";
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await stack?.stop();
  collector.close();
});

describe("OpenTelemetry traces", () => {
  it("follow a launch in one trace from the caller through the server, the store and the push into the daemon's worktree and spawn", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.apiToken}`,
        "content-type": "application/json",
        traceparent: `00-${traceId}-${callerSpan}-01`,
      },
      body: JSON.stringify(seedRequest({ worktree_name: "traced" })),
    });
    expect(res.status).toBe(200);
    const trace = await pollUntil(
      () => {
        const mine = spans.filter((s) => s.traceId === traceId);
        return mine.some((s) => s.name === "daemon.spawn") && mine.some((s) => s.name.endsWith("/LaunchWorkspaceSession")) ? mine : undefined;
      },
      { timeoutMs: 15_000, what: "the launch's spans at the collector" },
    );
    const one = (name: string) => {
      const found = trace.find((s) => s.name === name);
      if (!found) throw new Error(`no span ${name} in ${trace.map((s) => s.name).join(", ")}`);
      return found;
    };
    const rpc = one("workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession");
    const push = one("hub.push");
    const launch = one("daemon.launch");
    expect(rpc).toMatchObject({ service: "wsctl-serve", parentSpanId: callerSpan, kind: 2 });
    expect(push).toMatchObject({ service: "wsctl-serve", parentSpanId: rpc.spanId });
    expect(trace.filter((s) => s.name.startsWith("store.") && s.parentSpanId === rpc.spanId).map((s) => s.name)).toEqual(
      // The accept's one transaction (session, event, command), then the dispatched move.
      expect.arrayContaining(["store.acceptLaunch", "store.moveSession"]),
    );
    expect(launch).toMatchObject({ service: "wsctl-daemon", parentSpanId: push.spanId });
    expect(one("daemon.worktree")).toMatchObject({ service: "wsctl-daemon", parentSpanId: launch.spanId });
    expect(one("daemon.spawn")).toMatchObject({ service: "wsctl-daemon", parentSpanId: launch.spanId });
  });
});
