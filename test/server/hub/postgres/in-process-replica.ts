import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { DaemonService } from "../../../../gen/workspaces/v1/daemon_service_pb.js";
import { PermissionService } from "../../../../gen/workspaces/v1/permission_service_pb.js";
import { WorkspaceSessionService } from "../../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { type App, type AppOptions, createApp } from "../../../../server/create-app.js";
import type { Backplane } from "../../../../server/hub/backplane.js";
import { openBackplane } from "../../../../server/hub/open-backplane.js";
import { openStore } from "../../../../server/store/open-store.js";
import type { Store } from "../../../../server/store/store.js";

/** One `wsctl serve` replica in process: its own store pool, backplane and app on the shared schema. */
export interface Replica {
  app: App;
  store: Store;
  backplane: Backplane;
  sessions: Client<typeof WorkspaceSessionService>;
  permissions: Client<typeof PermissionService>;
  daemon: Client<typeof DaemonService>;
  close(): Promise<void>;
}

/**
 * Opens a replica on the PostgreSQL database at `url`, reached over an
 * in-memory transport. Defaults: lease 6 s, launch deadline 2 s, no logs, no
 * page; `wrapStore` gives the app another view of the replica's store (one
 * that counts its calls). `close()` closes the real store.
 */
export async function openReplica(
  url: string,
  options: { leaseMs?: number; app?: Partial<Omit<AppOptions, "store" | "backplane">>; wrapStore?: (store: Store) => Store } = {},
): Promise<Replica> {
  const store = await openStore(url);
  const backplane = await openBackplane(url, { leaseMs: options.leaseMs ?? 6_000, log: () => {} });
  const app = createApp({ store: options.wrapStore?.(store) ?? store, backplane, log: () => {}, webRoot: "/nonexistent", launchDeadlineMs: 2_000, ...options.app });
  const transport = createRouterTransport(app.routes, { router: app.routerOptions });
  return {
    app,
    store,
    backplane,
    sessions: createClient(WorkspaceSessionService, transport),
    permissions: createClient(PermissionService, transport),
    daemon: createClient(DaemonService, transport),
    async close() {
      app.close();
      await backplane.close();
      await store.close();
    },
  };
}
