import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeRequest } from "../../../server/rpc/node-handler.js";
import { type ConnectionProbe, connectionProbe } from "../../../server/transport/connection-probe.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An HTTP/2 server that keeps every request open and hands out a probe of its connection. */
async function probesOf(streams: number): Promise<{ probes: ConnectionProbe[]; client: http2.ClientHttp2Session }> {
  const probes: ConnectionProbe[] = [];
  let arrived: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const server = http2.createServer((req, res) => {
    probes.push(connectionProbe(req as unknown as NodeRequest, 5_000));
    res.writeHead(200);
    res.write("open\n");
    if (probes.length === streams) arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  cleanups.push(() => client.destroy());
  for (let i = 0; i < streams; i++) client.request({ ":path": `/${i}` }).on("error", () => {});
  await all;
  return { probes, client };
}

describe("connectionProbe", () => {
  it("answers true for every one of 50 streams on one live connection probed at once", async () => {
    // Node cancels HTTP/2 PINGs past 10 outstanding on a session: one PING per stream read as a dead peer.
    const { probes } = await probesOf(50);
    expect(await Promise.all(probes.map((probe) => probe()))).toEqual(probes.map(() => true));
    // And again, once the shared PING has been answered.
    expect(await Promise.all(probes.map((probe) => probe()))).toEqual(probes.map(() => true));
  });

  it("answers false once the connection is gone", async () => {
    const { probes, client } = await probesOf(2);
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await probes[0]!()).toBe(false);
  });
});
