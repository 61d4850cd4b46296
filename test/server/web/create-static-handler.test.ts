import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createStaticHandler, type StaticHandler } from "../../../server/web/create-static-handler.js";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let tmp: string;
let root: string;
const indexHtml = '<!doctype html><html><head><script type="module" src="/assets/index-AbCd1234.js"></script></head></html>\n';
const script = `console.log(${JSON.stringify("x".repeat(4000))});\n`;
const servers: http.Server[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "wsctl-static-"));
  root = path.join(tmp, "web");
  await mkdir(path.join(root, "assets"), { recursive: true });
  await writeFile(path.join(root, "index.html"), indexHtml);
  await writeFile(path.join(root, "assets", "index-AbCd1234.js"), script);
  await writeFile(path.join(root, "assets", "logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  await writeFile(path.join(root, "robots.txt"), "User-agent: *\n");
  await writeFile(path.join(tmp, "secret.txt"), "do not serve\n");
  await symlink(path.join(tmp, "secret.txt"), path.join(root, "linked-secret.txt"));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** An HTTP/1.1 server: the static handler, then a fallback that answers 418 "next handler". */
async function serve(handler: StaticHandler): Promise<string> {
  const server = http.createServer((req, res) => {
    if (handler(req, res)) return;
    res.writeHead(418, { "content-type": "text/plain" }).end("next handler");
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw request: the path is sent exactly as given (no normalization), nothing is decompressed. */
function request(base: string, pathname: string, options: { method?: string; headers?: http.OutgoingHttpHeaders } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const url = new URL(base);
    const req = http.request(
      { host: url.hostname, port: url.port, path: pathname, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("createStaticHandler", () => {
  it("serves index.html at / with no-cache, an ETag and a content security policy", async () => {
    const base = await serve(createStaticHandler({ root }));
    for (const p of ["/", "/index.html", "/?token=x"]) {
      const res = await request(base, p);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
      expect(res.headers["content-security-policy"]).toContain("connect-src 'self'");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.body.toString()).toBe(indexHtml);
    }
  });

  it("serves fingerprinted assets as immutable with their content type, and other files revalidated", async () => {
    const base = await serve(createStaticHandler({ root }));
    const js = await request(base, "/assets/index-AbCd1234.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["content-length"]).toBe(String(Buffer.byteLength(script)));
    expect(js.body.toString()).toBe(script);
    expect(js.headers["content-security-policy"]).toBeUndefined();

    const svg = await request(base, "/assets/logo.svg");
    expect(svg.headers["content-type"]).toBe("image/svg+xml");
    expect(svg.headers["cache-control"]).toBe("no-cache");
    const txt = await request(base, "/robots.txt");
    expect(txt.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("sends gzip to clients that accept it, and identity to the others", async () => {
    const base = await serve(createStaticHandler({ root }));
    const gz = await request(base, "/assets/index-AbCd1234.js", { headers: { "accept-encoding": "br, gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers.vary).toBe("Accept-Encoding");
    expect(Number(gz.headers["content-length"])).toBeLessThan(Buffer.byteLength(script));
    expect(gunzipSync(gz.body).toString()).toBe(script);

    const refused = await request(base, "/assets/index-AbCd1234.js", { headers: { "accept-encoding": "gzip;q=0" } });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    expect(refused.body.toString()).toBe(script);
    expect(refused.headers.etag).not.toBe(gz.headers.etag);
  });

  it("answers 304 when If-None-Match holds the current ETag", async () => {
    const base = await serve(createStaticHandler({ root }));
    const first = await request(base, "/");
    const again = await request(base, "/", { headers: { "if-none-match": first.headers.etag! } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
    const stale = await request(base, "/", { headers: { "if-none-match": '"something-else"' } });
    expect(stale.status).toBe(200);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const base = await serve(createStaticHandler({ root }));
    const res = await request(base, "/", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(indexHtml)));
    expect(res.body.length).toBe(0);
  });

  it("leaves other methods and unknown paths to the next handler", async () => {
    const base = await serve(createStaticHandler({ root }));
    for (const [method, p] of [
      ["POST", "/"],
      ["OPTIONS", "/"],
      ["GET", "/api/v1/machines"],
      ["GET", "/assets/missing-AbCd1234.js"],
      ["GET", "/assets"],
      ["GET", "/openapi.json"],
    ] as const) {
      const res = await request(base, p, { method });
      expect(res.status, `${method} ${p}`).toBe(418);
    }
  });

  it("never serves a file outside the root, by dot segments, encoded slashes or symlinks", async () => {
    const base = await serve(createStaticHandler({ root }));
    for (const p of [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/linked-secret.txt",
      "//secret.txt",
      "/%zz",
    ]) {
      const res = await request(base, p);
      expect(res.status, p).toBe(418);
      expect(res.body.toString()).not.toContain("do not serve");
    }
  });

  it("answers / with a page saying to run npm run build:web while the build is missing, then serves the build", async () => {
    const missing = path.join(tmp, "not-built");
    const base = await serve(createStaticHandler({ root: missing, rescanIntervalMs: 0 }));
    const res = await request(base, "/");
    expect(res.status).toBe(503);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body.toString()).toContain("npm run build:web");
    expect(res.body.toString()).not.toContain(tmp);
    expect((await request(base, "/assets/index-AbCd1234.js")).status).toBe(418);

    await mkdir(missing);
    await writeFile(path.join(missing, "index.html"), indexHtml);
    const built = await request(base, "/");
    expect(built.status).toBe(200);
    expect(built.body.toString()).toBe(indexHtml);
  });

  it("serves over HTTP/2 as well", async () => {
    const handler = createStaticHandler({ root });
    const server = http2.createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const reply = await new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const req = client.request({ ":path": "/assets/index-AbCd1234.js" });
        let headers: http2.IncomingHttpHeaders = {};
        let body = "";
        req.on("response", (h) => {
          headers = h;
        });
        req.setEncoding("utf8");
        req.on("data", (d: string) => {
          body += d;
        });
        req.on("end", () => resolve({ headers, body }));
        req.on("error", reject);
      });
      expect(reply.headers[":status"]).toBe(200);
      expect(reply.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      expect(reply.body).toBe(script);
    } finally {
      client.close();
      await new Promise((r) => server.close(r));
    }
  });
});
