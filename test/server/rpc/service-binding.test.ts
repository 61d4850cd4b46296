import { Code, createClient, createConnectRouter, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { serviceBinding } from "../../../server/rpc/service-binding.js";

describe("serviceBinding", () => {
  it("keeps the service and the very implementation object it was given", () => {
    const impl = { getMachine: () => ({}) };
    const binding = serviceBinding(MachineService, impl);
    expect(binding.service).toBe(MachineService);
    expect(binding.impl).toBe(impl);
  });

  it("is what Connect's router takes: a method left out answers unimplemented", async () => {
    const binding = serviceBinding(MachineService, { getMachine: (req) => ({ machine: { machineId: req.machineId } }) });
    const router = createConnectRouter().service(binding.service, binding.impl);
    expect(router.handlers.map((h) => h.requestPath)).toEqual([
      "/workspaces.v1.MachineService/ListMachines",
      "/workspaces.v1.MachineService/GetMachine",
      "/workspaces.v1.MachineService/RegisterMachine",
    ]);
    const client = createClient(
      MachineService,
      createRouterTransport(({ service }) => {
        service(binding.service, binding.impl);
      }),
    );
    expect((await client.getMachine({ machineId: "m1" })).machine?.machineId).toBe("m1");
    await expect(client.listMachines({})).rejects.toMatchObject({ code: Code.Unimplemented });
  });
});
