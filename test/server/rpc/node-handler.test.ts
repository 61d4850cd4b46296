import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeHandler } from "../../../server/rpc/node-handler.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

// Answers the HTTP version; a handler in front of it takes /front only.
const versionHandler: NodeHandler = (req, res) => {
  res.end(req.httpVersion);
};
const front: NodeHandler<boolean> = (req, res) => {
  if (req.url !== "/front") return false;
  res.end("front");
  return true;
};
const chained: NodeHandler = (req, res) => {
  if (!front(req, res)) versionHandler(req, res);
};

async function listen(server: http.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function h1Get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ port, host: "127.0.0.1", path }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

function h2Get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ":path": path });
    let body = "";
    stream.setEncoding("utf8").on("data", (c: string) => (body += c));
    stream.on("end", () => {
      session.close();
      resolve(body);
    });
    stream.on("error", reject);
    stream.end();
  });
}

describe("NodeHandler", () => {
  it("serves Node's http and http2 servers alike, and chains with handlers that pass requests on", async () => {
    const h1 = await listen(http.createServer(chained));
    const h2 = await listen(http2.createServer(chained));
    expect(await h1Get(h1, "/")).toBe("1.1");
    expect(await h1Get(h1, "/front")).toBe("front");
    expect(await h2Get(h2, "/")).toBe("2.0");
    expect(await h2Get(h2, "/front")).toBe("front");
  });

  it("is the type of connectNodeAdapter's handler", async () => {
    const connect: NodeHandler = connectNodeAdapter({ routes: () => {} });
    const port = await listen(http.createServer(connect));
    // No routes: Connect's own 404 for an unknown procedure.
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ port, host: "127.0.0.1", path: "/no.Such/Method" }, (res) => resolve(res.resume().statusCode ?? 0)).on("error", reject);
    });
    expect(status).toBe(404);
  });
});
