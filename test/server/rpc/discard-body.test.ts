import * as http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { discardBody } from "../../../server/rpc/discard-body.js";
import type { NodeRequest, NodeResponse } from "../../../server/rpc/node-handler.js";
import { listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";
import { rawExchange } from "../../support/raw-exchange.js";
import { h2Close, h2Connect } from "../transport/one-port-clients.js";

let server: OnePortServer | undefined;
afterEach(async () => {
  await server?.close({ graceMs: 100 });
  server = undefined;
});

/** Answers every request 401 at once, then drops its body with a 1000-byte limit. */
async function refusingServer(): Promise<OnePortServer> {
  const handler = (req: NodeRequest, res: NodeResponse) => {
    res.statusCode = 401;
    res.end("no");
    discardBody(req, res, 1000);
  };
  server = await listenOnePort({ port: 0, handler, onError: () => {} });
  return server;
}

function h1(agent: http.Agent, url: string, body: Buffer): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-length": String(body.length) } });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, reused: req.reusedSocket }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("discardBody", () => {
  it("drops a small body so an HTTP/1.1 connection serves the next request", async () => {
    const { url } = await refusingServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await h1(agent, url, Buffer.alloc(900))).toMatchObject({ status: 401, body: "no", reused: false });
      expect(await h1(agent, url, Buffer.alloc(900))).toMatchObject({ status: 401, body: "no", reused: true });
    } finally {
      agent.destroy();
    }
  });

  it("answers in full, then closes, when the declared body is past the limit", async () => {
    const { url } = await refusingServer();
    const answer = await rawExchange({ url }, { path: "/", headers: {}, body: Buffer.alloc(10), declaredBytes: 1_000_000 });
    expect(answer).toMatchObject({ status: 401 });
    expect(answer.body.toString()).toBe("no");
  });

  it("keeps an HTTP/2 session usable after bodies below and past the limit", async () => {
    const { url } = await refusingServer();
    const session = await h2Connect(url);
    try {
      for (const size of [500, 50_000, 500]) {
        const answer = await rawExchange({ session }, { path: "/", headers: {}, body: Buffer.alloc(size) }).catch((e: Error) => e);
        // Past the limit the stream may be reset once the answer is out; the session lives on.
        if (!(answer instanceof Error)) expect(answer.status).toBe(401);
      }
      expect((await rawExchange({ session }, { path: "/", headers: {}, body: "x" })).status).toBe(401);
      expect(session.destroyed).toBe(false);
    } finally {
      await h2Close(session);
    }
  });
});
