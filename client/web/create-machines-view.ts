import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Machine } from "../../gen/workspaces/v1/machine_service_pb.js";
import type { Api } from "./create-api.js";
import { element } from "./element.js";

export interface MachinesViewOptions {
  api: Api;
  list: HTMLElement;
  empty: HTMLElement;
  /** Called after each successful refresh with the machines the token sees. */
  onMachines: (machines: Machine[]) => void;
}

export interface MachinesView {
  /** Lists the machines again; rejects with the call's error. */
  refresh(signal?: AbortSignal): Promise<void>;
}

function lastSeenText(machine: Machine): string {
  if (machine.online) return "online";
  if (!machine.lastSeenTime) return "never connected";
  return `offline, last seen ${timestampDate(machine.lastSeenTime).toLocaleString()}`;
}

/** The machines panel: every machine of the token's workspaces with its online state. */
export function createMachinesView(options: MachinesViewOptions): MachinesView {
  const { api, list, empty } = options;
  return {
    async refresh(signal) {
      const res = await api.machines.listMachines({}, { signal, timeoutMs: 10_000 });
      list.replaceChildren(
        ...res.machines.map((m) =>
          element(
            "li",
            {
              class: `machine ${m.online ? "online" : "offline"}`,
              "data-testid": "machine-row",
              "data-machine-id": m.machineId,
              "data-online": String(m.online),
            },
            element("span", { class: "dot", "aria-hidden": "true" }),
            element("span", { class: "name" }, m.machineId),
            m.isDefault ? element("span", { class: "badge" }, "default") : undefined,
            element("span", { class: "meta" }, `${m.workspaceId}${m.hostname ? ` · ${m.hostname}` : ""}`),
            element("span", { class: "seen", "data-testid": "machine-state" }, lastSeenText(m)),
          ),
        ),
      );
      empty.hidden = res.machines.length > 0;
      options.onMachines(res.machines);
    },
  };
}
