import { DaemonService, file_workspaces_v1_daemon_service } from "../gen/workspaces/v1/daemon_service_pb.js";
import { file_workspaces_v1_machine_service, MachineService } from "../gen/workspaces/v1/machine_service_pb.js";
import { file_workspaces_v1_permission_service, PermissionService } from "../gen/workspaces/v1/permission_service_pb.js";
import { file_workspaces_v1_token_service, TokenService } from "../gen/workspaces/v1/token_service_pb.js";
import { file_workspaces_v1_webhook_service, WebhookService } from "../gen/workspaces/v1/webhook_service_pb.js";
import {
  file_workspaces_v1_workspace_session_service,
  WorkspaceSessionService,
} from "../gen/workspaces/v1/workspace_session_service_pb.js";
import { type ServiceBinding, serviceBinding } from "./rpc/service-binding.js";
import { createDaemonService, type DaemonServiceOptions } from "./services/daemon-service.js";
import { createMachineService } from "./services/machine-service.js";
import { createPermissionService } from "./services/permission-service.js";
import { createTokenService } from "./services/token-service.js";
import { createWebhookService } from "./services/webhook-service.js";
import { createWorkspaceSessionService, type WorkspaceSessionServiceOptions } from "./services/workspace-session-service.js";

/** The proto files of the services `createServiceBindings` serves, for reflection. */
export const serviceFiles = [
  file_workspaces_v1_workspace_session_service,
  file_workspaces_v1_machine_service,
  file_workspaces_v1_token_service,
  file_workspaces_v1_webhook_service,
  file_workspaces_v1_daemon_service,
  file_workspaces_v1_permission_service,
];

export type ServiceBindingsOptions = Omit<DaemonServiceOptions, "now"> & WorkspaceSessionServiceOptions;

/**
 * Every service of the API that needs a token, bound to its implementation:
 * what Connect's handler, the REST transcoder, OpenAPI, health and
 * reflection all serve (the auth gate protects exactly these).
 */
export function createServiceBindings(options: ServiceBindingsOptions): ServiceBinding[] {
  const { store, hub, launcher, lifecycle, events, sessions } = options;
  return [
    serviceBinding(
      WorkspaceSessionService,
      createWorkspaceSessionService({
        launcher,
        sessions,
        ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
        ...(options.maxWatchStreamsPerToken !== undefined ? { maxWatchStreamsPerToken: options.maxWatchStreamsPerToken } : {}),
      }),
    ),
    serviceBinding(MachineService, createMachineService({ store, hub })),
    serviceBinding(TokenService, createTokenService({ store })),
    serviceBinding(WebhookService, createWebhookService({ store })),
    serviceBinding(DaemonService, createDaemonService({ store, hub, launcher, lifecycle, events })),
    serviceBinding(PermissionService, createPermissionService({ store, approvals: launcher.approvals })),
  ];
}
