import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { MachineService } from "../../gen/workspaces/v1/machine_service_pb.js";
import { PermissionService } from "../../gen/workspaces/v1/permission_service_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";

/** The generated clients the page calls. */
export interface Api {
  sessions: Client<typeof WorkspaceSessionService>;
  machines: Client<typeof MachineService>;
  permissions: Client<typeof PermissionService>;
}

export interface ApiOptions {
  /** Server origin; the page uses its own (`location.origin`). */
  baseUrl: string;
  /** Read on every call, so a new token applies at once. Empty sends no Authorization header. */
  token: () => string;
}

/** Connect protocol (JSON) over fetch, with the bearer token on every call. */
export function createApi(options: ApiOptions): Api {
  const auth: Interceptor = (next) => (req) => {
    const token = options.token();
    if (token) req.header.set("Authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: options.baseUrl, interceptors: [auth] });
  return {
    sessions: createClient(WorkspaceSessionService, transport),
    machines: createClient(MachineService, transport),
    permissions: createClient(PermissionService, transport),
  };
}
