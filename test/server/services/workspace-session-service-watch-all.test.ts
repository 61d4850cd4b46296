import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import type { WatchWorkspaceSessionsResponse } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createInProcessApp, type InProcessApp, type InProcessAppOptions } from "../../support/in-process-app.js";
import { createListeningApp } from "../../support/listening-app.js";
import { addOtherWorkspace, drain, scopedToken } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

async function app(options: InProcessAppOptions = {}) {
  env = await createInProcessApp(options);
  await addOtherWorkspace(env);
  return env;
}

const auth = (signal?: AbortSignal) => ({ headers: env.headers(), ...(signal ? { signal } : {}) });

/** Reads a WatchWorkspaceSessions stream in the background; `until(test)` waits for a message that passes. */
function watchAll(workspaceId = "ws") {
  const controller = new AbortController();
  const seen: WatchWorkspaceSessionsResponse[] = [];
  const waiters: { test: (m: WatchWorkspaceSessionsResponse) => boolean; wake: () => void }[] = [];
  const done = (async () => {
    for await (const message of env.sessions.watchWorkspaceSessions({ workspaceId }, auth(controller.signal))) {
      seen.push(message);
      for (const w of [...waiters]) if (w.test(message)) waiters.splice(waiters.indexOf(w), 1) && w.wake();
    }
  })().catch(() => {});
  return {
    seen,
    until(test: (m: WatchWorkspaceSessionsResponse) => boolean): Promise<void> {
      if (seen.some(test)) return Promise.resolve();
      return new Promise((wake) => waiters.push({ test, wake }));
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

const states = (seen: readonly WatchWorkspaceSessionsResponse[], sessionId: string) =>
  seen.filter((m) => m.session?.sessionId === sessionId).map((m) => SessionState[m.session!.state]);

describe("createWorkspaceSessionService", () => {
  describe("watchWorkspaceSessions", () => {
    it("says resync first, then carries each launched session through its states to its end", async () => {
      await app();
      const watch = watchAll();
      await watch.until((m) => m.resync);
      expect(watch.seen[0]?.resync).toBe(true);
      expect(watch.seen[0]?.session).toBeUndefined();
      const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 7 } }) });
      const res = await env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, auth());
      const sessionId = String(res.payload?.session_id);
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
      await watch.until((m) => m.session?.state === SessionState.EXITED);
      await watch.stop();
      const seen = states(watch.seen, sessionId);
      expect(seen[0]).toBe("PENDING");
      expect(seen.at(-1)).toBe("EXITED");
      expect(seen).toContain("RUNNING");
      // One message per change: no state repeats back to back.
      expect(seen.filter((s, i) => s === seen[i - 1])).toEqual([]);
      const last = watch.seen.at(-1)!.session!;
      expect(last).toMatchObject({ workspaceId: "ws", machineId: "m1", exitCode: 0 });
      expect(last.createTime).toBeDefined();
    });

    it("leaves out sessions of the workspaces the watch is not for", async () => {
      await app();
      const watch = watchAll();
      await watch.until((m) => m.resync);
      const ack = () => ({ status: "ok" as const, payload: {} });
      await env.daemon({ autoAck: ack });
      const otherToken = await scopedToken(env, ["sessions"], ["ws-2"]);
      await env.daemon({ machineId: "m-2", autoAck: ack });
      await env.sessions.launchWorkspaceSession({ workspaceId: "ws-2" }, { headers: { authorization: `Bearer ${otherToken}` } });
      const mine = await env.sessions.launchWorkspaceSession({ workspaceId: "ws" }, auth());
      await watch.until((m) => m.session?.sessionId === mine.payload?.session_id && m.session?.state === SessionState.RUNNING);
      await watch.stop();
      expect(watch.seen.filter((m) => m.session !== undefined && m.session.workspaceId !== "ws")).toEqual([]);
    });

    it("keeps an idle watch alive with empty messages", async () => {
      await app({ heartbeatMs: 10 });
      const watch = watchAll();
      let beats = 0;
      await watch.until((m) => !m.resync && m.session === undefined && ++beats === 2);
      await watch.stop();
      expect(watch.seen[0]?.resync).toBe(true);
    });

    it("refuses an invalid workspace id and answers not_found for a workspace the token cannot see", async () => {
      await app();
      const bad = await drain(env.sessions.watchWorkspaceSessions({ workspaceId: "-x" }, auth()));
      expect(bad.error?.code).toBe(Code.InvalidArgument);
      const other = await drain(env.sessions.watchWorkspaceSessions({ workspaceId: "ws-2" }, auth()));
      expect(other.error?.rawMessage).toBe("workspace ws-2 not found");
    });

    it("streams over REST at GET /api/v1/workspaces/{workspace_id}/sessions:watch as NDJSON", async () => {
      const listening = await createListeningApp();
      env = listening;
      const controller = new AbortController();
      const res = await fetch(`${listening.url}/api/v1/workspaces/ws/sessions:watch`, { headers: env.headers(), signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/x-ndjson");
      const reader = res.body!.getReader();
      let text = "";
      while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
      expect(JSON.parse(text.split("\n")[0]!)).toEqual({ resync: true });
      controller.abort();
    });
  });
});
