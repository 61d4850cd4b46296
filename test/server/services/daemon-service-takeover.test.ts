import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { instanceFingerprint } from "../../../server/hub/create-daemon-hub.js";
import { startFreezableProxy, type FreezableProxy } from "../../support/freezable-proxy.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import { pollUntil } from "../../support/poll-until.js";

let env: ListeningApp | undefined;
let proxy: FreezableProxy | undefined;
const aborts: AbortController[] = [];
afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await proxy?.close();
  await env?.close();
  env = undefined;
  proxy = undefined;
});

/** Opens a Subscribe stream as daemon `instanceId` on `baseUrl`; resolves with how it ended (`open` while it still runs). */
function subscribe(baseUrl: string, token: string, instanceId: string, hostname: string) {
  const abort = new AbortController();
  aborts.push(abort);
  const client = createClient(DaemonService, createGrpcTransport({ baseUrl }));
  let outcome: "open" | "ended" | ConnectError = "open";
  const done = (async () => {
    try {
      for await (const _ of client.subscribe({ daemonVersion: "t", hostname, instanceId }, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal })) {
        // pings
      }
      outcome = "ended";
    } catch (error) {
      outcome = ConnectError.from(error);
    }
  })();
  return { abort, done, outcome: () => outcome };
}

describe("createDaemonService", () => {
  it("keeps a machine for its live daemon, lets it reconnect, and lets another instance take over a half-dead stream", async () => {
    env = await createListeningApp({ takeoverProbeMs: 200, pingIntervalMs: 60_000 });
    const token = await env.addMachine("m1");
    proxy = await startFreezableProxy(env.server.port);
    const online = (hostname: string) =>
      pollUntil(async () => (await env!.app.hub.presence(["m1"])).get("m1")?.hostname === hostname, { what: `m1 held by ${hostname}` });

    const a = subscribe(proxy.url, token, "inst-a", "host-a");
    await online("host-a");

    const b = subscribe(env.url, token, "inst-b", "host-b");
    await b.done;
    const refused = b.outcome() as ConnectError;
    expect(refused.code).toBe(Code.AlreadyExists);
    expect((await env.store.getMachine("m1"))?.hostname).toBe("host-a"); // nothing recorded for the refused one
    expect(refused.rawMessage).not.toContain("inst-a");
    expect(env.logged.join("\n")).toContain(`refused a Subscribe from daemon instance ${instanceFingerprint("inst-b")} (host-b)`);

    // The same instance reconnecting replaces its own stream, as before.
    const again = subscribe(proxy.url, token, "inst-a", "host-a2");
    await online("host-a2");
    await a.done;
    expect(a.outcome()).toBe("ended");

    proxy.freeze();
    const c = subscribe(env.url, token, "inst-c", "host-c");
    await online("host-c");
    expect(c.outcome()).toBe("open");
    expect(env.logged.join("\n")).toContain(
      `daemon instance ${instanceFingerprint("inst-a")} did not answer a ping; instance ${instanceFingerprint("inst-c")} (host-c) takes over`,
    );
    console.log("createDaemonService: a second instance refused while the first answered, a reconnect accepted, a takeover after a failed ping");
    void again;
  });
});
