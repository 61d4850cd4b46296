import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../gen/workspaces/v1/machine_service_pb.js";
import { TokenService } from "../../gen/workspaces/v1/token_service_pb.js";
import { WebhookService } from "../../gen/workspaces/v1/webhook_service_pb.js";
import type { TokenScope } from "../store/store.js";
import type { Principal } from "./principal.js";
import { grantsScope } from "./token-scopes.js";

/**
 * The scope an API token needs to call a method: `admin` for `TokenService`
 * and `WebhookService`,
 * `machines:register` for `MachineService.RegisterMachine`, `sessions` for
 * every other method of the API. Undefined for `DaemonService`, which takes
 * machine tokens (they carry no scopes).
 */
export function requiredScope(method: Pick<DescMethod, "name" | "parent">): TokenScope | undefined {
  const typeName = method.parent.typeName;
  if (typeName === DaemonService.typeName) return undefined;
  if (typeName === TokenService.typeName || typeName === WebhookService.typeName) return "admin";
  if (typeName === MachineService.typeName && method.name === MachineService.method.registerMachine.name) return "machines:register";
  return "sessions";
}

/**
 * Throws `permission_denied`, naming the scope, unless the principal may call
 * `method`: a machine token always passes here (its kind is checked apart),
 * an API token when its scopes grant the method's (`admin` grants all). The
 * answer is the same for every workspace, so it tells nothing about them.
 */
export function checkMethodScope(method: Pick<DescMethod, "name" | "parent">, principal: Principal): void {
  if (principal.kind !== "api") return;
  const needed = requiredScope(method);
  if (needed === undefined || grantsScope(principal.scopes, needed)) return;
  throw new ConnectError(
    `this API token lacks the ${needed} scope that ${method.parent.name}.${method.name} needs (it has: ${[...principal.scopes].join(", ") || "none"})`,
    Code.PermissionDenied,
  );
}
