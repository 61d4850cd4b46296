import type { OutgoingHttpHeaders } from "node:http";
import type { NodeHandler } from "../rpc/node-handler.js";
import { loadStaticFiles, type StaticFile } from "./load-static-files.js";

export interface StaticHandlerOptions {
  /** Directory of the built page (`vite build` output), normally `<repo>/dist/web`. */
  root: string;
  /**
   * While the build is missing, how often a request for `/` may look for it
   * again, so a build made after the server started is picked up. Default 1000 ms.
   */
  rescanIntervalMs?: number;
}

/** Answers the request and returns true, or returns false (untouched) so the next handler runs. */
export type StaticHandler = NodeHandler<boolean>;

// What we use of both response classes, so calls need no overload juggling.
interface ResponseLike {
  getHeader(name: string): number | string | string[] | undefined;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  end(body?: Buffer | string): unknown;
}

/** Headers of every HTML answer: the page talks only to its own origin and is never framed. */
const htmlHeaders: OutgoingHttpHeaders = {
  "content-security-policy":
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
};

const missingBuildPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>workspace-sessions: page not built</title></head>
<body><h1>The web page is not built</h1>
<p>Run <code>npm run build:web</code> (or <code>npm ci</code>, which runs it) in the workspace-sessions
checkout, then reload this page. The API on this port works without it.</p></body></html>
`;

function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!value) return false;
  for (const part of value.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!value) return false;
  if (value.trim() === "*") return true;
  return value.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

function urlPathOf(url: string | undefined): string | undefined {
  if (url?.[0] !== "/") return undefined;
  const q = url.indexOf("?");
  const raw = q >= 0 ? url.slice(0, q) : url;
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Serves the built browser page: GET and HEAD of `/` (index.html) and of every
 * file under `root`, with its content type, an ETag (304 on a match), gzip when
 * the client takes it, year-long immutable caching for Vite's fingerprinted
 * `/assets/*-<hash>.*` files and revalidation for the rest. Files are read into
 * memory once; only files found under `root` are served, so no request path
 * reaches outside it. Anything else (other methods, unknown paths) returns
 * false without touching the response. While the build is missing, `/` answers
 * 503 with a short page saying to run `npm run build:web`.
 */
export function createStaticHandler(options: StaticHandlerOptions): StaticHandler {
  const rescanIntervalMs = options.rescanIntervalMs ?? 1000;
  let files = loadStaticFiles(options.root);
  let lastScan = Date.now();

  function indexFile(): StaticFile | undefined {
    let index = files.get("/index.html");
    if (!index && Date.now() - lastScan >= rescanIntervalMs) {
      files = loadStaticFiles(options.root);
      lastScan = Date.now();
      index = files.get("/index.html");
    }
    return index;
  }

  return (req, res) => {
    const method = req.method;
    if (method !== "GET" && method !== "HEAD") return false;
    const urlPath = urlPathOf(req.url);
    if (urlPath === undefined) return false;
    const isIndex = urlPath === "/" || urlPath === "/index.html";
    const file = isIndex ? indexFile() : files.get(urlPath);
    const r = res as unknown as ResponseLike;
    if (!file) {
      if (!isIndex) return false;
      r.writeHead(503, {
        "content-type": "text/html; charset=utf-8",
        "content-length": Buffer.byteLength(missingBuildPage),
        "cache-control": "no-store",
        ...htmlHeaders,
      });
      r.end(method === "HEAD" ? undefined : missingBuildPage);
      return true;
    }

    const gzip = file.gzip && acceptsGzip(req.headers["accept-encoding"]) ? file.gzip : undefined;
    const etag = gzip?.etag ?? file.etag;
    const headers: OutgoingHttpHeaders = {
      "cache-control": file.cacheControl,
      etag,
      "x-content-type-options": "nosniff",
      ...(file.contentType.startsWith("text/html") ? htmlHeaders : {}),
    };
    if (file.gzip) {
      // Keep a Vary set earlier in the chain (CORS sets "Origin").
      const vary = r.getHeader("vary");
      headers.vary = vary ? `${String(vary)}, Accept-Encoding` : "Accept-Encoding";
    }
    if (matchesEtag(req.headers["if-none-match"], etag)) {
      r.writeHead(304, headers);
      r.end();
      return true;
    }
    const body = gzip?.body ?? file.body;
    headers["content-type"] = file.contentType;
    headers["content-length"] = body.length;
    if (gzip) headers["content-encoding"] = "gzip";
    r.writeHead(200, headers);
    r.end(method === "HEAD" ? undefined : body);
    return true;
  };
}
