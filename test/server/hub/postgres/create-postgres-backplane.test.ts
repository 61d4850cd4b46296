
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SessionEventType, SessionState } from "../../../../gen/workspaces/v1/session_pb.js";
import { createApiToken } from "../../../../server/admin/create-api-token.js";
import { createMachine } from "../../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../../server/admin/create-workspace.js";
import { openStore } from "../../../../server/store/open-store.js";
import { pollUntil } from "../../../support/poll-until.js";
import { openReplica, type Replica } from "./in-process-replica.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";

const postgres = await findTestPostgres("PostgreSQL backplane");

// Three replicas with their pools and listeners in one process: slower than a unit test under load.
describe.skipIf(postgres.skip)("createPostgresBackplane", { timeout: 20_000 }, () => {
  let db: TestSchema;
  let apiToken: string;
  let machineToken: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    db = await createTestSchema("backplane");
    const store = await openStore(db.url);
    await createWorkspace(store, "ws");
    await createMachine(store, { machineId: "m1", workspaceId: "ws" });
    apiToken = (await createApiToken(store, { workspaceIds: ["ws"] })).token;
    machineToken = (await createMachineToken(store, { machineId: "m1" })).token;
    await store.close();
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) await r.close();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function replica(leaseMs = 6_000): Promise<Replica> {
    const r = await openReplica(db.url, { leaseMs });
    replicas.push(r);
    return r;
  }

  const api = () => ({ headers: { Authorization: `Bearer ${apiToken}` } });
  const machine = () => ({ Authorization: `Bearer ${machineToken}` });

  /** A daemon subscribed to `r` that acknowledges every launch `ok` through `acks` (another replica, or the same). */
  function daemonOn(r: Replica, acks: Replica = r) {
    const controller = new AbortController();
    const launches: string[] = [];
    (async () => {
      for await (const command of r.daemon.subscribe({ daemonVersion: "t", hostname: "h" }, { headers: machine(), signal: controller.signal })) {
        if (command.kind.case !== "launch") continue;
        launches.push(command.commandId);
        await acks.daemon.acknowledge({ commandId: command.commandId, status: "ok", payload: { pid: 77 } }, { headers: machine() });
      }
    })().catch(() => {});
    return { launches, stop: () => controller.abort() };
  }

  it("launches on one replica through a daemon subscribed to another, acknowledged on a third", async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    const daemon = daemonOn(a, c);
    await pollUntil(() => b.app.hub.isOnline("m1"), { what: "replica b to see m1 online" });
    const listed = await b.app.hub.presence(["m1"]);
    expect(listed.get("m1")).toEqual({ daemonVersion: "t", hostname: "h" });
    const res = await b.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, api());
    expect(res.status).toBe("ok");
    expect(Object.keys(res.payload ?? {})).toEqual(["session_id", "workspace_id", "machine_id", "pid"]);
    expect(daemon.launches).toHaveLength(1);
    const got = await a.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId: String(res.payload?.session_id) }, api());
    expect(got.session?.state).toBe(SessionState.RUNNING);
    daemon.stop();
  });

  it("streams a session's events to a watcher on another replica, in order, with no gap and no duplicate", async () => {
    const [a, b] = [await replica(), await replica()];
    const daemon = daemonOn(a);
    await pollUntil(() => b.app.hub.isOnline("m1"));
    const res = await a.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, api());
    const sessionId = String(res.payload?.session_id);
    const seen: [bigint, SessionEventType][] = [];
    const watching = (async () => {
      for await (const e of b.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId }, api())) {
        if (e.type === SessionEventType.HEARTBEAT) continue;
        seen.push([e.sequence, e.type]);
      }
    })();
    await pollUntil(() => seen.length >= 3, { what: "the watch to replay the history" });
    for (const state of [SessionState.RUNNING, SessionState.EXITED]) {
      await a.daemon.reportSessionState({ sessionId, state, pid: 77, exitCode: 0, message: "" }, { headers: machine() });
    }
    await watching;
    expect(seen).toEqual([
      [1n, SessionEventType.ACCEPTED],
      [2n, SessionEventType.DISPATCHED],
      [3n, SessionEventType.ACKNOWLEDGED],
      [4n, SessionEventType.RUNNING],
      [5n, SessionEventType.EXITED],
    ]);
    daemon.stop();
  });

  it("carries a workspace's session changes to WatchWorkspaceSessions on another replica", async () => {
    const [a, b] = [await replica(), await replica()];
    const daemon = daemonOn(a);
    await pollUntil(() => b.app.hub.isOnline("m1"));
    const controller = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const m of b.sessions.watchWorkspaceSessions({ workspaceId: "ws" }, { ...api(), signal: controller.signal })) {
        if (m.resync) seen.push("resync");
        else if (m.session) seen.push(`${m.session.sessionId}:${SessionState[m.session.state]}`);
      }
    })().catch(() => {});
    await pollUntil(() => seen.length >= 1, { what: "the watch to start" });
    const res = await a.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, api());
    const sessionId = String(res.payload?.session_id);
    await a.daemon.reportSessionState({ sessionId, state: SessionState.EXITED, pid: 77, exitCode: 0, message: "" }, { headers: machine() });
    await pollUntil(() => seen.includes(`${sessionId}:EXITED`), { what: "replica b's watch to see the exit" });
    controller.abort();
    await watching;
    expect(seen[0]).toBe("resync");
    const states = seen.slice(1).filter((s) => s.startsWith(sessionId));
    expect(states[0]).toMatch(/:(PENDING|DISPATCHED|RUNNING)$/);
    expect(states.at(-1)).toBe(`${sessionId}:EXITED`);
    daemon.stop();
  });

  it("moves a machine to the replica it subscribes to last, ending the older stream there", async () => {
    const [a, b] = [await replica(), await replica()];
    const first = daemonOn(a);
    await pollUntil(() => a.app.hub.isOnline("m1"));
    const second = daemonOn(b);
    // a learns it lost the stream: its hold is gone, so only b's counts.
    await pollUntil(async () => {
      const client = new pg.Client({ connectionString: db.url.replace(/\?.*$/, ""), options: `-c search_path=${db.schema}` });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT replica_id FROM wsctl_machine_presence WHERE machine_id = 'm1'");
        return rows[0]?.replica_id === b.backplane.replicaId;
      } finally {
        await client.end();
      }
    });
    const res = await a.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, api());
    expect(res.status).toBe("ok");
    expect(second.launches).toHaveLength(1);
    expect(first.launches).toHaveLength(0);
    first.stop();
    second.stop();
  });

  it("takes a dead replica's machines offline once its lease lapses, and their sessions to unknown", async () => {
    const [a, b] = [await replica(300), await replica(300)];
    const daemon = daemonOn(a);
    await pollUntil(() => b.app.hub.isOnline("m1"));
    const res = await b.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, api());
    const sessionId = String(res.payload?.session_id);
    // Replica a dies: it stops renewing (its backplane's timer and listener go) without giving anything up.
    const dying = replicas.indexOf(a);
    replicas.splice(dying, 1);
    const client = new pg.Client({ connectionString: db.url.replace(/\?.*$/, ""), options: `-c search_path=${db.schema}` });
    await client.connect();
    await client.query("UPDATE wsctl_machine_presence SET replica_id = 'dead', expires_at = now() - interval '1 second'");
    await client.end();
    await pollUntil(async () => !(await b.app.hub.isOnline("m1")), { what: "m1 to go offline" });
    await pollUntil(async () => (await b.store.getSessionById(sessionId))?.state === "unknown", { what: "the session to be unknown" });
    daemon.stop();
    await a.close();
  });
});
