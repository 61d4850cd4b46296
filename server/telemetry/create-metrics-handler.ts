import type { NodeHandler, NodeRequest } from "../rpc/node-handler.js";
import type { Metrics } from "./create-metrics.js";

export interface MetricsHandlerOptions {
  metrics: Metrics;
  /**
   * Decides whether a request may read the metrics: resolves undefined to
   * allow, or the HTTP status and message to refuse with. Default: everyone
   * (for a listener of its own, `--metrics-listen`).
   */
  authorize?: (req: NodeRequest) => Promise<{ status: number; message: string } | undefined>;
}

/** `GET /metrics` in the Prometheus text format; returns false for any other path. */
export function createMetricsHandler(options: MetricsHandlerOptions): NodeHandler<boolean> {
  const { registry } = options.metrics;
  return (req, res) => {
    if ((req.url ?? "/").split("?", 1)[0] !== "/metrics") return false;
    const refuse = (status: number, message: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(`${JSON.stringify({ code: status === 401 ? "unauthenticated" : "permission_denied", message, detail: message })}\n`);
    };
    (async () => {
      const denied = await options.authorize?.(req);
      if (denied) return refuse(denied.status, denied.message);
      const text = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      res.end(text);
    })().catch((error: unknown) => {
      if (!res.headersSent) refuse(500, "metrics could not be collected");
      else res.destroy(error instanceof Error ? error : undefined);
    });
    return true;
  };
}
