import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import type { LaunchCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { createInProcessApp, type InProcessApp, type TestDaemon } from "../../support/in-process-app.js";
import { rejection } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

const auth = () => ({ headers: env.headers() });

async function app(): Promise<TestDaemon> {
  env = await createInProcessApp();
  return env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 42 } }) });
}

/** Launches with `code` settings and returns the LaunchCommand the daemon got. */
async function launchedWith(daemon: TestDaemon, code?: Record<string, unknown>): Promise<LaunchCommand> {
  await env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi", ...(code ? { sessionSettings: { code } } : {}) }, auth());
  const command = daemon.commands.find((c) => c.kind.case === "launch");
  if (command?.kind.case !== "launch") throw new Error("no launch command");
  return command.kind.value;
}

describe("createWorkspaceSessionService", () => {
  describe("permission mode", () => {
    it("sends the workspace's defaults to a launch that names no mode: default, 10 minutes, deny", async () => {
      const daemon = await app();
      const res = await env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, auth());
      expect(Object.keys(res.payload ?? {})).toEqual(["session_id", "workspace_id", "machine_id", "pid"]);
      const command = daemon.commands[0]?.kind.value as LaunchCommand;
      expect(command.permission).toMatchObject({ mode: "default", defaultDecision: "deny" });
      expect(command.permission?.approvalTimeout?.seconds).toBe(600n);
      expect(command.request?.sessionSettings).toBeUndefined();
    });

    it("sends the mode the launch asks for, within the ceiling, and the workspace's own settings", async () => {
      const daemon = await app();
      await env.store.updateWorkspacePermissions("ws", { ceiling: "accept_edits", approvalTimeoutMs: 90_000, defaultDecision: "allow" });
      const command = await launchedWith(daemon, { permissionMode: "accept_edits" });
      expect(command.permission).toMatchObject({ mode: "accept_edits", defaultDecision: "allow" });
      expect(command.permission?.approvalTimeout?.seconds).toBe(90n);
    });

    it("takes the workspace's default mode when the launch names none", async () => {
      const daemon = await app();
      await env.store.updateWorkspacePermissions("ws", { defaultMode: "plan" });
      expect((await launchedWith(daemon)).permission?.mode).toBe("plan");
    });

    it("refuses bypass_permissions above the workspace's ceiling with permission_denied naming it, storing nothing", async () => {
      await app();
      await env.store.updateWorkspacePermissions("ws", { ceiling: "accept_edits" });
      const request = { workspaceId: "ws", sessionSettings: { code: { permissionMode: "bypass_permissions" } } };
      const error = await rejection(env.sessions.launchWorkspaceSession(request, auth()), Code.PermissionDenied);
      expect(error.rawMessage).toBe("workspace ws does not allow permission mode bypass_permissions: its ceiling is accept_edits");
      expect((await env.sessions.listWorkspaceSessions({ workspaceId: "ws" }, auth())).sessions).toEqual([]);
    });

    it("refuses a workspace default above its ceiling the same way", async () => {
      await app();
      await env.store.updateWorkspacePermissions("ws", { defaultMode: "accept_edits", ceiling: "plan" });
      const error = await rejection(env.sessions.launchWorkspaceSession({ workspaceId: "ws" }, auth()), Code.PermissionDenied);
      expect(error.rawMessage).toContain("its ceiling is plan");
    });

    it("refuses an unknown mode with invalid_argument naming the field and the allowed values", async () => {
      await app();
      const request = { workspaceId: "ws", sessionSettings: { code: { permissionMode: "yolo" } } };
      const error = await rejection(env.sessions.launchWorkspaceSession(request, auth()), Code.InvalidArgument);
      const [violation] = error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
      expect(violation).toMatchObject({
        field: "session_settings.code.permission_mode",
        description: "must be one of: plan, default, accept_edits, bypass_permissions",
      });
    });
  });
});
