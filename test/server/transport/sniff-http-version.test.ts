import type { Socket } from "node:net";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  classify,
  HTTP2_PREFACE,
  type SniffedProtocol,
  sniffHttpVersion,
} from "../../../server/transport/sniff-http-version.js";
import { until } from "./one-port-fixtures.js";

/** A stream standing in for a socket, so the test controls exactly how bytes arrive. */
function fakeSocket(): { stream: PassThrough; socket: Socket; verdicts: SniffedProtocol[] } {
  const stream = new PassThrough();
  return { stream, socket: stream as unknown as Socket, verdicts: [] };
}

/** Writes one chunk and lets the stream deliver it. */
async function deliver(stream: PassThrough, bytes: Buffer | string): Promise<void> {
  stream.write(bytes);
  await new Promise((resolve) => setImmediate(resolve));
}

describe("sniffHttpVersion", () => {
  it("waits for all 24 preface bytes when they arrive one at a time, then keeps every byte", async () => {
    const { stream, socket, verdicts } = fakeSocket();
    sniffHttpVersion(socket, 0, (p) => verdicts.push(p));
    const wire = Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
    for (let i = 0; i < HTTP2_PREFACE.length - 1; i++) {
      await deliver(stream, wire.subarray(i, i + 1));
      expect(verdicts).toEqual([]);
    }
    // The last preface byte arrives together with the SETTINGS frame that follows it.
    await deliver(stream, wire.subarray(HTTP2_PREFACE.length - 1));
    expect(verdicts).toEqual(["h2"]);
    expect(stream.isPaused()).toBe(true);
    expect(stream.read()).toEqual(wire);
  });

  it("decides HTTP/1.1 on the first byte of a request line", async () => {
    const { stream, socket, verdicts } = fakeSocket();
    sniffHttpVersion(socket, 0, (p) => verdicts.push(p));
    await deliver(stream, "G");
    expect(verdicts).toEqual(["http/1.1"]);
    await deliver(stream, "ET / HTTP/1.1\r\n");
    expect(stream.read().toString()).toBe("GET / HTTP/1.1\r\n");
  });

  it("decides HTTP/1.1 where a near-preface first differs", async () => {
    const { stream, socket, verdicts } = fakeSocket();
    sniffHttpVersion(socket, 0, (p) => verdicts.push(p));
    await deliver(stream, "PRI * HTTP/");
    expect(verdicts).toEqual([]);
    await deliver(stream, "1.1\r\n");
    expect(verdicts).toEqual(["http/1.1"]);
    expect(stream.read().toString()).toBe("PRI * HTTP/1.1\r\n");
  });

  it("destroys a connection that ends before a verdict", async () => {
    const { stream, socket, verdicts } = fakeSocket();
    sniffHttpVersion(socket, 0, (p) => verdicts.push(p));
    await deliver(stream, "PRI");
    stream.end();
    await until(() => stream.destroyed);
    expect(verdicts).toEqual([]);
  });

  it("swallows an error before a verdict and destroys the connection", async () => {
    const { stream, socket, verdicts } = fakeSocket();
    sniffHttpVersion(socket, 0, (p) => verdicts.push(p));
    const closed = new Promise((resolve) => stream.once("close", resolve));
    stream.destroy(new Error("ECONNRESET"));
    await closed;
    expect(verdicts).toEqual([]);
    expect(stream.listenerCount("error")).toBe(0);
  });

  it("destroys a connection still undecided after timeoutMs", async () => {
    const { stream, socket, verdicts } = fakeSocket();
    sniffHttpVersion(socket, 50, (p) => verdicts.push(p));
    await deliver(stream, "PRI * HTTP/2.0");
    await until(() => stream.destroyed);
    expect(verdicts).toEqual([]);
  });
});

describe("classify", () => {
  it("tells prefixes, the preface and other bytes apart", () => {
    expect(classify(Buffer.from(""))).toBeUndefined();
    expect(classify(HTTP2_PREFACE.subarray(0, 23))).toBeUndefined();
    expect(classify(HTTP2_PREFACE)).toBe("h2");
    expect(classify(Buffer.from("GET / HTTP/1.1"))).toBe("http/1.1");
    expect(classify(Buffer.from("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"))).toBe("http/1.1");
  });
});
