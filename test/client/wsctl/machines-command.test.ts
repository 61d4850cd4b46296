import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMachines } from "../../../client/wsctl/machines-command.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("runMachines", () => {
  let server: FakeWorkspaceServer;
  let lastWorkspace = "";

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      machines: {
        listMachines(req) {
          lastWorkspace = req.workspaceId;
          if (req.workspaceId === "empty") return { machines: [] };
          return {
            machines: [
              {
                machineId: "m1",
                workspaceId: "acme",
                online: true,
                isDefault: true,
                hostname: "box",
                daemonVersion: "0.1.0",
                lastSeenTime: timestampFromMs(Date.UTC(2025, 0, 2, 3, 4, 5)),
              },
              { machineId: "m2", workspaceId: "acme" },
            ],
          };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "t" });

  it("prints a table with each machine's online state", async () => {
    const run = await runCli(runMachines, ["--workspace", "acme"], { env: env() });
    expect(lastWorkspace).toBe("acme");
    expect(run).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "MACHINE  WORKSPACE  STATE    DEFAULT  HOSTNAME  DAEMON  LAST SEEN",
        "m1       acme       online   yes      box       0.1.0   2025-01-02T03:04:05Z",
        "m2       acme       offline  -        -         -       -",
        "",
      ].join("\n"),
    });
  });

  it("prints JSON with proto field names", async () => {
    const run = await runCli(runMachines, ["--json"], { env: env() });
    expect(lastWorkspace).toBe("");
    const body = JSON.parse(run.stdout) as { machines: Record<string, unknown>[] };
    expect(body.machines[0]).toMatchObject({ machine_id: "m1", online: true, is_default: true, last_seen_time: "2025-01-02T03:04:05Z" });
    // As REST answers: false and empty fields are there too ("online": false).
    expect(body.machines[1]).toEqual({ machine_id: "m2", workspace_id: "acme", online: false, daemon_version: "", hostname: "", is_default: false });
  });

  it("says so when there are none", async () => {
    expect((await runCli(runMachines, ["--workspace", "empty"], { env: env() })).stdout).toBe("no machines\n");
  });
});
