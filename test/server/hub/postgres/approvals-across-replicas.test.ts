import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ConnectError, } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DaemonCommand, } from "../../../../gen/workspaces/v1/daemon_service_pb.js";
import { TranscriptEntryKind, TranscriptRole } from "../../../../gen/workspaces/v1/transcript_pb.js";
import { createApiToken } from "../../../../server/admin/create-api-token.js";
import { createMachine } from "../../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../../server/admin/create-workspace.js";
import { openStore } from "../../../../server/store/open-store.js";
import { pollUntil } from "../../../support/poll-until.js";
import { openReplica, type Replica } from "./in-process-replica.js";
import { createTestSchema, findTestPostgres, type TestSchema } from "../../../support/postgres-test-database.js";

const postgres = await findTestPostgres("approvals across PostgreSQL replicas");

describe.skipIf(postgres.skip)("approvals across replicas", { timeout: 20_000 }, () => {
  let db: TestSchema;
  let tokens: string[];
  let machineToken: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    db = await createTestSchema("approvals");
    const store = await openStore(db.url);
    await createWorkspace(store, "ws");
    await createMachine(store, { machineId: "m1", workspaceId: "ws" });
    tokens = [(await createApiToken(store, { workspaceIds: ["ws"] })).token, (await createApiToken(store, { workspaceIds: ["ws"] })).token];
    machineToken = (await createMachineToken(store, { machineId: "m1" })).token;
    await store.close();
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) await r.close();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function replica(): Promise<Replica> {
    const r = await openReplica(db.url, { app: { approvalSweepMs: 20 } });
    replicas.push(r);
    return r;
  }

  const api = (i = 0) => ({ headers: { Authorization: `Bearer ${tokens[i]}` } });
  const machine = () => ({ headers: { Authorization: `Bearer ${machineToken}` } });

  /** A daemon subscribed to `r`: launches acknowledged `ok` at once, permission answers kept for the test (acknowledged through `acks`). */
  function daemonOn(r: Replica, acks: Replica) {
    const controller = new AbortController();
    const answers: DaemonCommand[] = [];
    (async () => {
      for await (const command of r.daemon.subscribe({ daemonVersion: "t", hostname: "h" }, { ...machine(), signal: controller.signal })) {
        if (command.kind.case === "launch") {
          await acks.daemon.acknowledge({ commandId: command.commandId, status: "ok", payload: { pid: 77 } }, machine());
        } else if (command.kind.case === "permissionAnswer") {
          answers.push(command);
          await acks.daemon.acknowledge({ commandId: command.commandId, status: "ok", payload: {} }, machine());
        }
      }
    })().catch(() => {});
    return { answers, stop: () => controller.abort() };
  }

  async function launchWithRequest(on: Replica, via: Replica, expireInMs = 600_000): Promise<string> {
    const res = await on.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, api());
    const sessionId = String(res.payload?.session_id);
    const input = { command: "npm test" };
    await via.daemon.appendTranscript(
      {
        sessionId,
        fromOffset: 0n,
        entries: [
          {
            role: TranscriptRole.SYSTEM,
            kind: TranscriptEntryKind.PERMISSION_REQUEST,
            toolName: "Bash",
            toolInput: input,
            permissionRequest: { requestId: "prq_1", toolName: "Bash", input, expireTime: timestampFromMs(Date.now() + expireInMs) },
          },
        ],
      },
      machine(),
    );
    return sessionId;
  }

  it("lets one of two answers on two replicas win, and delivers it to the daemon on a third", async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    const daemon = daemonOn(a, c);
    await pollUntil(() => b.app.hub.isOnline("m1"), { what: "replica b to see m1 online" });
    const sessionId = await launchWithRequest(b, c);
    const key = { workspaceId: "ws", sessionId, requestId: "prq_1" };
    const results = await Promise.allSettled([
      b.permissions.answerPermissionRequest({ ...key, decision: "allow" }, api(0)),
      c.permissions.answerPermissionRequest({ ...key, decision: "deny" }, api(1)),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ConnectError.from(lost?.reason).rawMessage).toContain("already decided");
    await pollUntil(async () => (await a.store.getPermissionRequest(sessionId, "prq_1"))?.delivered, { what: "the delivery" });
    expect(daemon.answers).toHaveLength(1);
    const stored = await a.store.getPermissionRequest(sessionId, "prq_1");
    const delivered = daemon.answers[0]?.kind.case === "permissionAnswer" ? daemon.answers[0].kind.value.request : undefined;
    expect(delivered).toMatchObject({ decision: stored?.decision, decidedBy: stored?.decidedBy });
    await pollUntil(async () => (await c.store.getSessionById(sessionId))?.state === "running", { what: "the session to run again" });
    daemon.stop();
  });

  it("decides an unanswered request once, by timeout, while every replica sweeps", async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    const daemon = daemonOn(a, b);
    await pollUntil(() => c.app.hub.isOnline("m1"), { what: "replica c to see m1 online" });
    const sessionId = await launchWithRequest(c, b, 50);
    await pollUntil(async () => (await a.store.getPermissionRequest(sessionId, "prq_1"))?.delivered, { what: "the timeout's delivery" });
    expect(await a.store.getPermissionRequest(sessionId, "prq_1")).toMatchObject({ decision: "deny", decidedBy: "timeout" });
    expect(daemon.answers).toHaveLength(1);
    daemon.stop();
  });
});
