import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { PermissionService } from "../../gen/workspaces/v1/permission_service_pb.js";
import { requireWorkspaceAccess } from "../auth/require-workspace-access.js";
import type { Approvals } from "../launch/create-approvals.js";
import { permissionRequestMessage } from "../sessions/permission-requests.js";
import { isTerminalState } from "../sessions/session-transitions.js";
import type { Store } from "../store/store.js";
import { validateAnswerRequest, validateListPendingRequest } from "../validation/validate-permission-requests.js";

export interface PermissionServiceOptions {
  store: Store;
  approvals: Pick<Approvals, "answer">;
}

/**
 * `PermissionService`: lists a workspace's pending permission requests and
 * answers one (the first answer wins; see `create-approvals.ts`). A workspace
 * or session the token cannot see is `not_found`, as one that does not exist.
 */
export function createPermissionService(options: PermissionServiceOptions): ServiceImpl<typeof PermissionService> {
  const { store, approvals } = options;
  return {
    async listPendingPermissionRequests(req, ctx) {
      validateListPendingRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const query = { workspaceId: req.workspaceId, ...(req.sessionId !== "" ? { sessionId: req.sessionId } : {}) };
      const pending = await store.listPendingPermissionRequests(query, ctx.signal);
      // Only those of live sessions: an agent that ended waits for nothing (its requests are left to the timeout).
      const live = new Map<string, boolean>();
      for (const sessionId of new Set(pending.map((r) => r.sessionId))) {
        const session = await store.getSessionById(sessionId, ctx.signal);
        live.set(sessionId, session !== undefined && !isTerminalState(session.state));
      }
      return { requests: pending.filter((r) => live.get(r.sessionId)).map(permissionRequestMessage) };
    },

    async answerPermissionRequest(req, ctx) {
      validateAnswerRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const session = await store.getSession(req.workspaceId, req.sessionId, ctx.signal);
      if (!session) throw new ConnectError(`session ${req.sessionId} not found`, Code.NotFound);
      const decided = await approvals.answer(
        session,
        req.requestId,
        {
          decision: req.decision as "allow" | "deny",
          decidedBy: principal.tokenId,
          message: req.message ?? "",
          ...(req.updatedInput !== undefined ? { updatedInput: req.updatedInput } : {}),
          remember: req.remember,
        },
        ctx.signal,
      );
      return { request: permissionRequestMessage(decided) };
    },
  };
}
