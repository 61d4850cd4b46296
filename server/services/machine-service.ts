import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Machine, type MachineService, MachineSchema } from "../../gen/workspaces/v1/machine_service_pb.js";
import { registerMachine } from "../admin/register-machine.js";
import { requirePrincipal, requireWorkspaceAccess } from "../auth/require-workspace-access.js";
import type { DaemonHub, DaemonInfo } from "../hub/create-daemon-hub.js";
import type { MachineRecord, Store } from "../store/store.js";
import { validateListMachinesRequest, validateMachineId } from "../validation/validate-session-requests.js";
import { validateRegisterMachineRequest } from "../validation/validate-token-requests.js";

export interface MachineServiceOptions {
  store: Store;
  hub: DaemonHub;
}

/**
 * Lists the machines an API token can launch sessions on, with their live
 * state, and registers machines (the auth interceptor has checked each
 * method's scope).
 */
export function createMachineService(options: MachineServiceOptions): ServiceImpl<typeof MachineService> {
  const { store, hub } = options;

  function machineMessage(record: MachineRecord, defaults: Map<string, string | undefined>, online: Map<string, DaemonInfo>): Machine {
    const info = online.get(record.machineId);
    return create(MachineSchema, {
      machineId: record.machineId,
      workspaceId: record.workspaceId,
      online: info !== undefined,
      lastSeenTime: info ? timestampFromMs(Date.now()) : record.lastSeenAt !== undefined ? timestampFromMs(record.lastSeenAt) : undefined,
      daemonVersion: info?.daemonVersion ?? record.daemonVersion,
      hostname: info?.hostname ?? record.hostname,
      isDefault: defaults.get(record.workspaceId) === record.machineId,
    });
  }

  async function defaultsOf(workspaceIds: Iterable<string>, signal: AbortSignal) {
    const defaults = new Map<string, string | undefined>();
    for (const id of workspaceIds) defaults.set(id, (await store.getWorkspace(id, signal))?.defaultMachineId);
    return defaults;
  }

  return {
    async listMachines(req, ctx) {
      validateListMachinesRequest(req);
      const principal = requirePrincipal(ctx);
      if (principal.kind !== "api") throw new ConnectError("an API token is required", Code.PermissionDenied);
      let ids = [...principal.workspaceIds];
      if (req.workspaceId) {
        if (!principal.workspaceIds.has(req.workspaceId)) throw new ConnectError(`workspace ${req.workspaceId} not found`, Code.NotFound);
        ids = [req.workspaceId];
      }
      const records = await store.listMachines(ids, ctx.signal);
      const defaults = await defaultsOf(ids, ctx.signal);
      const online = await hub.presence(records.map((r) => r.machineId));
      return { machines: records.map((r) => machineMessage(r, defaults, online)) };
    },

    async getMachine(req, ctx) {
      validateMachineId(req.machineId);
      const principal = requirePrincipal(ctx);
      if (principal.kind !== "api") throw new ConnectError("an API token is required", Code.PermissionDenied);
      const record = await store.getMachine(req.machineId, ctx.signal);
      if (!record || !principal.workspaceIds.has(record.workspaceId)) {
        throw new ConnectError(`machine ${req.machineId} not found`, Code.NotFound);
      }
      const online = await hub.presence([record.machineId]);
      return { machine: machineMessage(record, await defaultsOf([record.workspaceId], ctx.signal), online) };
    },

    async registerMachine(req, ctx) {
      validateRegisterMachineRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const registered = await registerMachine(store, {
        workspaceId: req.workspaceId,
        name: req.name,
        makeDefault: req.makeDefault ?? false,
        label: `registered by ${principal.tokenId}`,
      });
      const { machine, issued } = registered;
      const online = await hub.presence([machine.machineId]);
      return {
        machine: machineMessage(machine, await defaultsOf([machine.workspaceId], ctx.signal), online),
        machineToken: issued.token,
        tokenId: issued.tokenId,
        reregistered: registered.reregistered,
        revokedTokenIds: registered.revokedTokenIds,
      };
    },
  };
}
