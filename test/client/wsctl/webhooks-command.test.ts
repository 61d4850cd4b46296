import { afterEach, describe, expect, it } from "vitest";
import { runWebhooks } from "../../../client/wsctl/webhooks-command.js";
import { runCli } from "../fake-workspace-server.js";
import { scopedToken } from "../../server/services/service-fixtures.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.js";
import { event, session } from "../../server/store/store-contract-fixtures.js";

let env: ListeningApp;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await env?.close();
  await receiver?.close();
  receiver = undefined;
});

const webhooks = (args: string[], token: string) => runCli(runWebhooks, args, { env: { WSCTL_SERVER: env.url, WSCTL_TOKEN: token } });

describe("runWebhooks", () => {
  it("creates an endpoint (its secret alone on the last line), lists it without the secret, shows its deliveries and deletes it", async () => {
    // The event below is stored past the app's event bus, so no nudge: the dispatcher finds it by its poll.
    env = await createListeningApp({ webhookPollMs: 50 });
    receiver = await startWebhookReceiver();
    const admin = await scopedToken(env, ["admin"]);
    const created = await webhooks(["create", "--workspace", "ws", "--url", receiver.url, "--event", "launched", "--event", "exited"], admin);
    expect(created.code).toBe(0);
    const secret = created.stdout.trimEnd().split("\n").at(-1)!;
    expect(secret).toMatch(/^whsec_/);
    receiver.secret = secret;
    const webhookId = /created webhook (whk_\w+) for launched, exited/.exec(created.stdout)?.[1];
    expect(webhookId).toBeDefined();
    const listed = await webhooks(["list", "--workspace", "ws"], admin);
    expect(listed.stdout).toMatch(new RegExp(`${webhookId}\\s+${receiver.url}\\s+launched,exited`));
    expect(listed.stdout).not.toContain("whsec_");

    await env.store.createSession(session({ sessionId: "s-1", workspaceId: "ws", machineId: "m1" }));
    await env.store.appendSessionEvent(event("s-1", { type: "accepted", machineId: "m1", now: Date.now() }));
    await pollUntil(() => receiver!.received.length === 1 && receiver!.received[0]!.status === 204);
    const log = await pollUntil(async () => {
      const res = await webhooks(["deliveries", "--workspace", "ws", webhookId!], admin);
      return /delivered/.test(res.stdout) ? res : undefined;
    });
    expect(log.stdout).toMatch(/whd_\w+\s+launched\s+s-1\s+delivered\s+1\s+204\s+\S+Z/);
    const json = JSON.parse((await webhooks(["deliveries", "--workspace", "ws", webhookId!, "--limit", "5", "--json"], admin)).stdout);
    expect(json.deliveries[0]).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 204, event: { event: "launched", session_id: "s-1" } });

    expect(await webhooks(["delete", "--workspace", "ws", webhookId!], admin)).toMatchObject({ code: 0, stdout: `deleted webhook ${webhookId}\n` });
    expect(JSON.parse((await webhooks(["list", "--workspace", "ws", "--json"], admin)).stdout)).toEqual({ webhooks: [] });
  });

  it("fails with the server's code for a token without the admin scope or a bad URL, and exits 2 on usage errors", async () => {
    env = await createListeningApp();
    const denied = await webhooks(["list", "--workspace", "ws"], env.apiToken);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^wsctl webhooks: permission_denied: .*admin scope/);
    const admin = await scopedToken(env, ["admin"]);
    const bad = await webhooks(["create", "--workspace", "ws", "--url", "ftp://x.example/", "--event", "sometimes"], admin);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid_argument: url: .*; events\[0\]: must be one of launched, running/);
    for (const args of [["list"], ["frob", "--workspace", "ws"], ["create", "--workspace", "ws"], ["delete", "--workspace", "ws"], ["list", "--workspace", "ws", "--url", "x"], ["deliveries", "--workspace", "ws", "whk_1", "--limit", "0"]]) {
      expect((await webhooks(args, admin)).code, args.join(" ")).toBe(2);
    }
  });
});
