import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { GetMachineRequestSchema, ListMachinesRequestSchema, MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import type { Principal } from "../../../server/auth/principal.js";
import { createDaemonHub } from "../../../server/hub/create-daemon-hub.js";
import { createMachineService } from "../../../server/services/machine-service.js";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";
import { addOtherWorkspace, handlerContext, rejection, violatedFields } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

async function app() {
  env = await createInProcessApp();
  await addOtherWorkspace(env);
  await env.addMachine("m0");
  return env;
}

const auth = () => ({ headers: env.headers() });

describe("createMachineService", () => {
  describe("listMachines", () => {
    it("lists the token's machines in id order, the default marked, online only with a daemon connected", async () => {
      await app();
      await env.daemon();
      const { machines } = await env.machines.listMachines({}, auth());
      expect(machines.map((m) => [m.machineId, m.workspaceId, m.online, m.isDefault, m.hostname, m.daemonVersion])).toEqual([
        ["m0", "ws", false, false, "", ""],
        ["m1", "ws", true, true, "test-host", "test"],
      ]);
      expect(machines[0]?.lastSeenTime).toBeUndefined();
      expect(Math.abs(timestampDate(machines[1]!.lastSeenTime!).getTime() - Date.now())).toBeLessThan(1000);
    });

    it("shows a machine whose daemon left as offline, with what it said and when it was last seen", async () => {
      await app();
      const daemon = await env.daemon();
      await daemon.stop();
      const machine = (await env.machines.listMachines({ workspaceId: "ws" }, auth())).machines.find((m) => m.machineId === "m1");
      const stored = await env.store.getMachine("m1");
      expect(machine).toMatchObject({ online: false, hostname: "test-host", daemonVersion: "test", isDefault: true });
      expect(timestampDate(machine!.lastSeenTime!).getTime()).toBe(stored?.lastSeenAt);
    });

    it("answers not_found for a workspace the token does not cover, as for one that does not exist", async () => {
      await app();
      const other = await rejection(env.machines.listMachines({ workspaceId: "ws-2" }, auth()), Code.NotFound);
      const missing = await rejection(env.machines.listMachines({ workspaceId: "nope" }, auth()), Code.NotFound);
      expect([other.rawMessage, missing.rawMessage]).toEqual(["workspace ws-2 not found", "workspace nope not found"]);
    });

    it("refuses a malformed workspace_id with invalid_argument", async () => {
      await app();
      expect(await violatedFields(env.machines.listMachines({ workspaceId: "not an id!" }, auth()))).toEqual(["workspace_id"]);
    });

    it("refuses machine tokens", async () => {
      await app();
      const token = await env.addMachine("m1");
      await rejection(env.machines.listMachines({}, { headers: env.headers(token) }), Code.PermissionDenied);
    });
  });

  describe("getMachine", () => {
    it("returns one of the token's machines", async () => {
      await app();
      const { machine } = await env.machines.getMachine({ machineId: "m1" }, auth());
      expect(machine).toMatchObject({ machineId: "m1", workspaceId: "ws", online: false, isDefault: true });
    });

    it("answers not_found for a machine of another workspace, as for one that does not exist", async () => {
      await app();
      const other = await rejection(env.machines.getMachine({ machineId: "m-2" }, auth()), Code.NotFound);
      const missing = await rejection(env.machines.getMachine({ machineId: "m-9" }, auth()), Code.NotFound);
      expect([other.rawMessage, missing.rawMessage]).toEqual(["machine m-2 not found", "machine m-9 not found"]);
    });

    it("refuses an empty or malformed machine_id with invalid_argument", async () => {
      await app();
      expect(await violatedFields(env.machines.getMachine({ machineId: "" }, auth()))).toEqual(["machine_id"]);
      expect(await violatedFields(env.machines.getMachine({ machineId: "a b" }, auth()))).toEqual(["machine_id"]);
    });
  });

  it("refuses a principal that is not an API token, even past the interceptor", async () => {
    await app();
    const service = createMachineService({ store: env.store, hub: createDaemonHub({ store: env.store }) });
    const machine: Principal = { kind: "machine", tokenId: "t", machineId: "m1", workspaceId: "ws" };
    const list = service.listMachines(create(ListMachinesRequestSchema), handlerContext(MachineService, MachineService.method.listMachines, machine));
    expect((await rejection(Promise.resolve(list), Code.PermissionDenied)).rawMessage).toBe("an API token is required");
    const get = service.getMachine(create(GetMachineRequestSchema, { machineId: "m1" }), handlerContext(MachineService, MachineService.method.getMachine, undefined));
    await rejection(Promise.resolve(get), Code.Unauthenticated);
  });

  it("answers unauthenticated without a token", async () => {
    await app();
    const client = createClient(MachineService, env.transport);
    await rejection(client.listMachines({}), Code.Unauthenticated);
  });
});
