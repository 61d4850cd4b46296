import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhookSignature } from "../../server/webhooks/verify-webhook-signature.js";

/** One request the receiver got, with what checking its signature found. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  /** `verifyWebhookSignature`'s verdict with the receiver's secret: undefined when it holds. */
  problem: string | undefined;
  /** When it arrived, Unix ms. */
  at: number;
  /** The status it was answered with. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, in arrival order. */
  received: ReceivedWebhook[];
  /** The secret signatures are checked with; set once the webhook is created. */
  secret: string;
  /** Decides each answer: a status, or "hang" to never answer. Default 204. */
  answer: (request: ReceivedWebhook, index: number) => number | "hang";
  /** How long each answer waits. Default 0. */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint for webhook deliveries: records each request and
 * verifies its signature and timestamp as a real receiver would.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: WebhookReceiver = {
    url: "",
    received: [],
    secret: "",
    answer: () => 204,
    delayMs: 0,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => (typeof req.headers[name] === "string" ? (req.headers[name] as string) : undefined);
      const request: ReceivedWebhook = {
        headers: req.headers,
        body,
        json: JSON.parse(body) as Record<string, unknown>,
        problem: verifyWebhookSignature({
          secret: receiver.secret,
          timestamp: header("webhook-timestamp"),
          signature: header("webhook-signature"),
          body,
        }),
        at: Date.now(),
        status: 0,
      };
      const answer = receiver.answer(request, receiver.received.length);
      receiver.received.push(request);
      if (answer === "hang") {
        hanging.add(res);
        return;
      }
      request.status = answer;
      if (receiver.delayMs === 0) res.writeHead(answer).end();
      else setTimeout(() => res.writeHead(answer).end(), receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
