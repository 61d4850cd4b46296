import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LaunchWorkspaceSessionResponseSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import { GetMachineResponseSchema, MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { launchResponse } from "../../../server/launch/launch-result.js";
import { createRouteTable } from "../../../server/rest/create-route-table.js";
import { outputJson } from "../../../server/rest/output-json.js";

const table = createRouteTable([WorkspaceSessionService, MachineService]);
const route = (name: string) => table.routes.find((r) => r.method.name === name)!;

describe("outputJson", () => {
  it("answers a launch with the original API's {status, payload} only, byte for byte, though the message has typed fields", () => {
    const payload = { session_id: "s-1", workspace_id: "ws", machine_id: "m1", provider: "claude_code", pid: 29824 };
    const message = launchResponse({ status: "ok", payload });
    expect(message.pid).toBe(29824);
    expect(outputJson(route("LaunchWorkspaceSession"), message)).toBe(
      '{"status":"ok","payload":{"session_id":"s-1","workspace_id":"ws","machine_id":"m1","provider":"claude_code","pid":29824}}',
    );
    expect(outputJson(route("LaunchWorkspaceSession"), create(LaunchWorkspaceSessionResponseSchema, { status: "error" }))).toBe(
      '{"status":"error"}',
    );
  });

  it("emits the fields holding false, zero or empty, with proto names, and leaves unset times out", () => {
    const message = create(GetMachineResponseSchema, { machine: { machineId: "m1", workspaceId: "ws" } });
    expect(JSON.parse(outputJson(route("GetMachine"), message))).toEqual({
      machine: { machine_id: "m1", workspace_id: "ws", online: false, daemon_version: "", hostname: "", is_default: false },
    });
  });
});
