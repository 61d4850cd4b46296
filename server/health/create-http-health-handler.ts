import type { NodeHandler } from "../rpc/node-handler.js";
import type { Readiness } from "./create-readiness.js";

/**
 * `GET /healthz` (200 while the process answers) and `GET /readyz` (200 when
 * ready, else 503, with the checks as JSON), both without a token, for load
 * balancers and orchestrators. `HEAD` works too. Returns false for any other path.
 */
export function createHttpHealthHandler(readiness: Readiness): NodeHandler<boolean> {
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/healthz" && path !== "/readyz") return false;
    const head = req.method === "HEAD";
    const answer = (status: number, body: unknown) => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
      if (head) res.end();
      else res.end(text);
    };
    if (req.method !== "GET" && !head) {
      res.setHeader("allow", "GET, HEAD");
      answer(405, { code: "unimplemented", message: `${req.method} is not allowed on ${path}` });
      return true;
    }
    if (path === "/healthz") {
      answer(200, { status: "ok" });
      return true;
    }
    readiness.check().then(
      (report) => answer(report.ready ? 200 : 503, { status: report.ready ? "ready" : "not_ready", ...report.checks }),
      (error: unknown) => answer(503, { status: "not_ready", error: String(error) }),
    );
    return true;
  };
}
