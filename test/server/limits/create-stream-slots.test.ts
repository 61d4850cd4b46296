import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { createStreamSlots } from "../../../server/limits/create-stream-slots.js";
import { createConnectTransport } from "@connectrpc/connect-node";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import { pollUntil } from "../../support/poll-until.js";

let env: ListeningApp | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("createStreamSlots", () => {
  it("caps the slots of a key and gives each back once", () => {
    const slots = createStreamSlots({ max: 2, what: "Watch streams" });
    const a = slots.acquire("t");
    slots.acquire("t");
    expect(() => slots.acquire("t")).toThrow(/at most 2/);
    expect(slots.acquire("other")).toBeTypeOf("function");
    a();
    a();
    expect(slots.held("t")).toBe(1);
    slots.acquire("t");
    expect(slots.held("t")).toBe(2);
  });

  it("caps concurrent WatchWorkspaceSession streams per token with resource_exhausted, freed when one ends", async () => {
    // Over the wire: a client that goes away must give its slot back, which the in-memory transport cannot show.
    env = await createListeningApp({ limits: { watchStreamsPerToken: 2 }, heartbeatMs: 60_000 });
    const sessions = createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: env.url, httpVersion: "2" }));
    await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 1 } }) });
    const launched = await env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, { headers: env.headers() });
    const sessionId = String(launched.payload?.session_id);
    const watch = (signal?: AbortSignal) =>
      sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId }, { headers: env!.headers(), signal })[Symbol.asyncIterator]();
    const controllers = [new AbortController(), new AbortController()];
    const open = controllers.map((c) => watch(c.signal));
    // Each delivers its first event and stays open.
    for (const it of open) expect((await it.next()).done).toBe(false);
    const third = await watch().next().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
        expect(third?.code).toBe(Code.ResourceExhausted);
    expect(third?.rawMessage).toContain("at most 2");
        controllers[0]!.abort();
    await open[0]!.next().catch(() => undefined);
        const fourth = await pollUntil(
      () => watch().next().then((r) => !r.done, () => false),
      { what: "a Watch slot to be free again" },
    );
    expect(fourth).toBe(true);
    controllers[1]!.abort();
  });
});
