import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  reusedSocket: boolean;
  alpn: string | false | undefined;
}

/** One HTTP/1.1 GET through node:http (or node:https when `ca` is given). */
export function h1Get(url: string, options: { agent?: http.Agent; ca?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      const alpn = (res.socket as { alpnProtocol?: string | false } | null)?.alpnProtocol;
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
          reusedSocket: req.reusedSocket,
          alpn,
        }),
      );
    };
    const req = options.ca
      ? https.get(url, { agent: options.agent as https.Agent | undefined, ca: options.ca }, onResponse)
      : http.get(url, { agent: options.agent }, onResponse);
    req.on("error", reject);
  });
}

/** One GET on an HTTP/2 session. */
export function h2Get(session: http2.ClientHttp2Session, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => {
      headers = h;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () =>
      resolve({
        status: Number(headers[":status"]),
        body: Buffer.concat(chunks).toString(),
        headers: headers as http.IncomingHttpHeaders,
        reusedSocket: false,
        alpn: session.alpnProtocol,
      }),
    );
    stream.end();
  });
}

/** An HTTP/2 session once it is connected (h2c for http:// URLs). */
export function h2Connect(url: string, options: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, options);
    session.once("connect", () => {
      session.off("error", reject);
      session.on("error", () => {});
      resolve(session);
    });
    session.once("error", reject);
  });
}

/** Closes a client session and waits for it. */
export function h2Close(session: http2.ClientHttp2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => session.close(resolve));
}
