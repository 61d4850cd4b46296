import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createApiToken } from "../../server/admin/create-api-token.js";
import { listInventory } from "../../server/admin/list-inventory.js";
import { openAdminStore } from "../../server/admin/open-admin-store.js";
import { revokeToken } from "../../server/admin/revoke-token.js";
import { pollUntil } from "../support/poll-until.js";
import { findTestPostgres } from "../support/postgres-test-database.js";
import { type Replicas, startReplicas } from "./harness/start-replicas.js";

// Revocation bites on every replica: a token revoked in the shared database
// ends its open streams on a replica that never saw the revoke, with
// unauthenticated, within the revocation check (1 s), and its next call is
// refused. The daemon of m1 is on replica 1; the watcher and the callers on
// replica 2; the revoke goes straight to the database, as `wsctl admin` does.
const postgres = await findTestPostgres("revocation across wsctl serve replicas");

let cluster: Replicas;
let r1: string;
let r2: string;

async function withAdmin<T>(run: (store: Awaited<ReturnType<typeof openAdminStore>>) => Promise<T>): Promise<T> {
  const store = await openAdminStore(cluster.database);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

async function launch(url: string, token: string, prompt: string): Promise<Response> {
  return fetch(`${url}/api/v1/workspaces/${cluster.workspaceId}/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ machine_id: "m1", initial_prompt: prompt }),
  });
}

beforeAll(async () => {
  if (postgres.skip) return;
  cluster = await startReplicas({ replicas: 2, machines: ["m1"] });
  [r1, r2] = cluster.urls as [string, string];
  await cluster.startDaemon("m1", [r1]);
  await cluster.waitOnline("m1", r2);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(postgres.skip)("revocation across replicas", () => {
  it("ends a revoked API token's Watch on another replica with unauthenticated, and refuses its next call", async () => {
    const caller = await withAdmin((store) => createApiToken(store, { workspaceIds: [cluster.workspaceId] }));
    const res = await launch(r2, caller.token, "exit:0:30000:watched");
    expect(res.status).toBe(200);
    const sessionId = String(((await res.json()) as { payload: { session_id: string } }).payload.session_id);

    const client = createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: r2, httpVersion: "2" }));
    const events: string[] = [];
    const watched = (async () => {
      try {
        for await (const event of client.watchWorkspaceSession(
          { workspaceId: cluster.workspaceId, sessionId },
          { headers: { authorization: `Bearer ${caller.token}` } },
        )) {
          events.push(String(event.type));
        }
        return undefined;
      } catch (error) {
        return ConnectError.from(error);
      }
    })();
    await pollUntil(() => events.length > 0, { timeoutMs: 10_000, what: "the watch to deliver its first event" });

    await withAdmin((store) => revokeToken(store, caller.token));
    const revokedAt = Date.now();
    const ended = await watched;
    expect(ended?.code).toBe(Code.Unauthenticated);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect((await launch(r2, caller.token, "exit:0:10:after")).status).toBe(401);
  });

  it("ends a revoked machine token's Subscribe on its replica: the daemon is refused and the machine goes offline everywhere", async () => {
    const machineTokenId = await withAdmin(async (store) => {
      const { tokens } = await listInventory(store);
      return tokens.find((t) => t.kind === "machine" && t.machineId === "m1" && t.revokedAt === undefined)!.tokenId;
    });
    const daemon = cluster.daemons[0]!;
    await withAdmin((store) => revokeToken(store, machineTokenId));
    await daemon.process.waitFor(/refused the machine token \(Unauthenticated\)/, 10_000);
    const watcher = await withAdmin((store) => createApiToken(store, { workspaceIds: [cluster.workspaceId] }));
    await pollUntil(
      async () => {
        const res = await fetch(`${r2}/api/v1/machines/m1`, { headers: { authorization: `Bearer ${watcher.token}` } });
        const body = (await res.json()) as { machine?: { online?: boolean } };
        return body.machine?.online !== true;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "m1 to be offline as replica 2 sees it" },
    );
    // No launch reaches the daemon that held the revoked token.
    const res = await launch(r2, watcher.token, "exit:0:10:after-revoke");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: "unavailable", message: "machine m1 is offline: no daemon is connected" });
  });
});
