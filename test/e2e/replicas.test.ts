import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionEventType } from "../../gen/workspaces/v1/session_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { openStore } from "../../server/store/open-store.js";
import type { Store } from "../../server/store/store.js";
import { isTerminalState } from "../../server/sessions/session-transitions.js";
import { pollUntil } from "../support/poll-until.js";
import { findTestPostgres } from "../support/postgres-test-database.js";
import { auditLaunches, isStartRunning, type LaunchAnswer, launchAnswer, listAllSessions, readAgentStarts } from "./harness/audit-launches.js";
import { grpcJsClient, type LaunchClient, type LaunchOutcome, restHttp1Client } from "./harness/protocol-clients.js";
import { type Replicas, startReplicas } from "./harness/start-replicas.js";
import { collect, launchRequest } from "./harness/stream-clients.js";

// Three replicas on one schema, four machines: m1 and m3 subscribe to replica 1
// (failing over to 2), m2 and m4 to replica 2 (failing over to 1). Callers only
// talk to replica 3, so every launch crosses replicas through PostgreSQL. A
// fifth machine, `slow` (on replica 2), acknowledges after the launch deadline:
// its daemon counts an agent as started only after 6 s, so the caller is told
// `deadline_exceeded` and the server must stop the agent the late `ok` names.
const postgres = await findTestPostgres("three wsctl serve replicas on one PostgreSQL");
const launches = Number(process.env.WSCTL_REPLICAS_LAUNCHES ?? 500);
const concurrency = Number(process.env.WSCTL_REPLICAS_CONCURRENCY ?? 16);

const launchDeadlineMs = 5000;
const fast = ["m1", "m2", "m3", "m4"];

let cluster: Replicas;
let clients: { grpc: LaunchClient; rest: LaunchClient };

/** A launch on `machineId` whose stand-in agent exits 0 after `ms`; `tag` names it in the session's metadata and the agent's prompt. */
function launchBody(machineId: string, tag: string, ms: number): Record<string, unknown> {
  // The slow machine's agents say nothing (no proof of life): they count as started only after its long window.
  const prompt = machineId === "slow" ? `silent:0:${ms}:${tag}` : `exit:0:${ms}:${tag}`;
  return { machine_id: machineId, initial_prompt: prompt, metadata: { launch_tag: tag } };
}

/** Waits until every agent has exited, every daemon has reported every end, and every session is terminal. */
async function settled(store: Store): Promise<void> {
  await pollUntil(() => [...readAgentStarts(cluster.recordDir).values()].flat().every((s) => !isStartRunning(s)), {
    timeoutMs: 20_000,
    intervalMs: 100,
    what: "every agent to exit",
  });
  await pollUntil(() => cluster.daemons.every((d) => d.unreported() === 0), { timeoutMs: 15_000, intervalMs: 100, what: "every end to be reported" });
  await pollUntil(async () => (await listAllSessions(store, cluster.workspaceId)).every((s) => isTerminalState(s.state)), {
    timeoutMs: 15_000,
    intervalMs: 200,
    what: "every session to end",
  });
}

beforeAll(async () => {
  if (postgres.skip) return;
  cluster = await startReplicas({ replicas: 3, machines: ["m1", "m2", "m3", "m4", "slow"], launchDeadlineMs });
  const [r1, r2, r3] = cluster.urls as [string, string, string];
  await Promise.all([
    ...fast.map((machineId, i) => cluster.startDaemon(machineId, i % 2 === 0 ? [r1, r2] : [r2, r1])),
    cluster.startDaemon("slow", [r2, r1], ["--startup-window-ms", String(launchDeadlineMs + 1000)]),
  ]);
  clients = { grpc: grpcJsClient(r3), rest: restHttp1Client(r3) };
}, 60_000);

afterAll(async () => {
  clients?.grpc.close?.();
  await cluster?.stop();
});

describe.skipIf(postgres.skip)("three wsctl serve replicas on one PostgreSQL", () => {
  it("launches sent to replica 3 over gRPC and REST reach daemons subscribed to replicas 1 and 2", async () => {
    for (const machineId of fast) {
      for (const [name, client] of Object.entries(clients)) {
        const tag = `first-${machineId}-${name}`;
        const outcome = await client.launch(cluster.workspaceId, launchBody(machineId, tag, 200), cluster.apiToken);
        expect(outcome, `${name} launch on ${machineId}`).toMatchObject({ kind: "ok", status: "ok", payload: { machine_id: machineId } });
        // The stand-in records itself once node has loaded it, which may be after the daemon's startup window.
        const starts = await pollUntil(() => readAgentStarts(cluster.recordDir).get(tag), { what: `the agent of ${tag} to start` });
        expect(starts).toHaveLength(1);
      }
    }
  });

  it("streams a session launched on replica 3 to watchers on replicas 1 and 2, the same events in order", async () => {
    const [r1, r2, r3] = cluster.urls as [string, string, string];
    const auth = { headers: { Authorization: `Bearer ${cluster.apiToken}` } };
    const on = (url: string) => createClient(WorkspaceSessionService, createGrpcTransport({ baseUrl: url }));
    const launched = await on(r3).launchWorkspaceSession(launchRequest(cluster.workspaceId, launchBody("m2", "watched", 1500)), auth);
    const sessionId = String(launched.payload?.session_id);
    const watchOn = (url: string) => collect(on(url).watchWorkspaceSession({ workspaceId: cluster.workspaceId, sessionId }, auth));
    const connect = createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: r2, httpVersion: "1.1" }));
    const [first, second, third] = await Promise.all([
      watchOn(r1),
      watchOn(r2),
      collect(connect.watchWorkspaceSession({ workspaceId: cluster.workspaceId, sessionId }, auth)),
    ]);
    const trail = (events: typeof first) => events.map((e) => [e.sequence, e.type]);
    // The agent's transcript entries share the sequence; the state changes come in this order around them.
    expect(first.filter((e) => e.type !== SessionEventType.TRANSCRIPT).map((e) => e.type)).toEqual([
      SessionEventType.ACCEPTED,
      SessionEventType.DISPATCHED,
      SessionEventType.ACKNOWLEDGED,
      SessionEventType.RUNNING,
      SessionEventType.EXITED,
    ]);
    expect(first.map((e) => e.sequence)).toEqual(first.map((_, i) => BigInt(i + 1)));
    expect(trail(second)).toEqual(trail(first));
    expect(trail(third)).toEqual(trail(first));
  });

  it("answers a launch acknowledged after its deadline with deadline_exceeded, keeps its session failed and stops its agent", async () => {
    const outcome = await clients.rest.launch(cluster.workspaceId, launchBody("slow", "late", 20_000), cluster.apiToken);
    expect(outcome).toMatchObject({ kind: "error", code: "deadline_exceeded", httpStatus: 504 });
    await pollUntil(() => readAgentStarts(cluster.recordDir).get("late"), { timeoutMs: 10_000, what: "the late agent to start" });
    const store = await openStore(cluster.database);
    try {
      await settled(store);
      const audit = await auditLaunches(store, cluster.workspaceId, [launchAnswer("late", outcome)], cluster.recordDir);
      expect(audit.problems).toEqual([]);
      expect(audit).toMatchObject({ errors: { deadline_exceeded: 1 }, starts: 1, orphaned: 0 });
    } finally {
      await store.close();
    }
  }, 30_000);

  it(`answers each of ${launches} launches once, starts each agent at most once and leaves none behind an error while replica 2 is killed`, async () => {
    const [r1] = cluster.urls as [string, string, string];
    const onReplica2 = cluster.daemons.filter((d) => d.servers[0] === cluster.urls[1]);
    const answers: LaunchAnswer[] = [];
    /** Why each launch that was not ok failed, as its answer said: printed with the audit. */
    const failures: string[] = [];
    let next = 0;
    let killedAt = -1;
    const started = Date.now();
    async function worker(): Promise<void> {
      while (next < launches) {
        const i = next++;
        const tag = `load-${i}`;
        // One launch in 25 goes to the slow machine: answered deadline_exceeded, its agent stopped.
        const slow = i % 25 === 12;
        const body = slow ? launchBody("slow", tag, 20_000) : launchBody(fast[i % fast.length]!, tag, 800);
        const client = i % 2 === 0 ? clients.grpc : clients.rest;
        const outcome = await client.launch(cluster.workspaceId, body, cluster.apiToken).catch(
          (error: unknown): LaunchOutcome => ({ kind: "error", code: `thrown: ${(error as Error).message}`, message: "" }),
        );
        answers.push(launchAnswer(tag, outcome));
        if (outcome.kind === "error") failures.push(`${tag}: ${outcome.code}: ${outcome.message}`);
        else if (outcome.status !== "ok") failures.push(`${tag}: ${JSON.stringify(outcome.payload.error)}`);
        if (killedAt < 0 && answers.length >= launches / 3) {
          killedAt = answers.length;
          cluster.servers[1]!.child.kill("SIGKILL");
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
    const runMs = Date.now() - started;

    // Replica 2's daemons moved to replica 1; nothing is left running or unfinished.
    for (const daemon of onReplica2) {
      expect(daemon.failovers(), `${daemon.machineId} failovers`).toBeGreaterThanOrEqual(1);
      expect(daemon.subscribedTo()).toBe(r1);
    }
    const store = await openStore(cluster.database);
    try {
      await settled(store);
      const audit = await auditLaunches(store, cluster.workspaceId, answers, cluster.recordDir);
      const failovers = onReplica2.reduce((n, d) => n + d.failovers(), 0);
      console.log(
        `replicas: launches ${audit.launches} in ${runMs} ms (concurrency ${concurrency}, replica 2 killed after ${killedAt}), ` +
          `ok ${audit.ok}, errors ${JSON.stringify(audit.errors)}, sessions ${audit.sessions}, agent starts ${audit.starts}, ` +
          `failovers ${failovers}, doubled ${audit.doubled}, orphaned ${audit.orphaned}`,
      );
      if (audit.problems.length > 0) console.log(`replicas: the launches not answered ok:\n${failures.join("\n")}`);
      expect(audit.problems).toEqual([]);
      expect(audit.launches).toBe(launches);
    } finally {
      await store.close();
    }
  }, 150_000);
});
