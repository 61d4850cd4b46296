import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  LaunchWorkspaceSessionResponseSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import type { SessionEvent } from "../../gen/workspaces/v1/session_pb.js";
import type { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { requireWorkspaceAccess } from "../auth/require-workspace-access.js";
import type { DaemonHub } from "../hub/daemon-hub.js";
import type { Launcher } from "../launch/create-launcher.js";
import type { SessionEventBus } from "../sessions/session-event-bus.js";
import { heartbeatEvent, isTerminalEvent, sessionEventMessage, sessionMessage } from "../sessions/session-messages.js";
import { isTerminalState, sessionStateName } from "../sessions/session-state-names.js";
import type { SessionRecord, Store } from "../store/store.js";
import { withHeartbeats } from "../streams/with-heartbeats.js";
import {
  validateGetSessionRequest,
  validateListSessionsRequest,
  validateStopSessionRequest,
  validateWatchSessionRequest,
} from "../validation/validate-session-requests.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { stopSession } from "./stop-session.js";

export interface WorkspaceSessionServiceOptions {
  store: Store;
  hub: DaemonHub;
  launcher: Launcher;
  events: SessionEventBus;
  /** Keep-alive interval of session streams. Default 15 000 ms. */
  heartbeatMs?: number;
}

export function createWorkspaceSessionService(options: WorkspaceSessionServiceOptions): ServiceImpl<typeof WorkspaceSessionService> {
  const { store, launcher, events } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  async function findSession(workspaceId: string, sessionId: string, signal: AbortSignal): Promise<SessionRecord> {
    const session = await store.getSession(workspaceId, sessionId, signal);
    if (!session) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return session;
  }

  /** Events of a session after `after`, ending after a terminal one. */
  async function* followUntilTerminal(sessionId: string, after: number, signal: AbortSignal): AsyncGenerator<SessionEvent> {
    const source = (async function* () {
      for await (const record of events.follow(sessionId, after, signal)) {
        yield sessionEventMessage(record);
        if (isTerminalEvent(record)) return;
      }
    })();
    yield* withHeartbeats(source, heartbeatMs, () => heartbeatEvent(sessionId));
  }

  return {
    async launchWorkspaceSession(req, ctx) {
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const launch = await launcher.accept(principal, req, {
        idempotencyKey: ctx.requestHeader.get("idempotency-key") ?? undefined,
        signal: ctx.signal,
      });
      const result = await launcher.dispatch(launch, { signal: ctx.signal, timeoutMs: ctx.timeoutMs() });
      return create(LaunchWorkspaceSessionResponseSchema, result);
    },

    async *launchWorkspaceSessionStream(req, ctx) {
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const launch = await launcher.accept(principal, req, { signal: ctx.signal });
      // Dispatch runs beside the stream; every outcome (ack, deadline, offline)
      // lands in the session's events, which the stream follows.
      launcher.dispatch(launch, { signal: ctx.signal }).catch(() => {});
      yield* followUntilTerminal(launch.session.sessionId, launch.acceptedSequence - 1, ctx.signal);
    },

    async *watchWorkspaceSession(req, ctx) {
      validateWatchSessionRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const session = await findSession(req.workspaceId, req.sessionId, ctx.signal);
      const after = Number(req.afterSequence);
      if (isTerminalState(session.state)) {
        for (const record of await store.listSessionEvents(session.sessionId, after, ctx.signal)) {
          yield sessionEventMessage(record);
        }
        return;
      }
      yield* followUntilTerminal(session.sessionId, after, ctx.signal);
    },

    async getWorkspaceSession(req, ctx) {
      validateGetSessionRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      return { session: sessionMessage(await findSession(req.workspaceId, req.sessionId, ctx.signal)) };
    },

    async listWorkspaceSessions(req, ctx) {
      validateListSessionsRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const limit = req.pageSize || 50;
      const state = req.state ? sessionStateName(req.state) : undefined;
      const after = req.pageToken ? decodePageToken(req.pageToken) : undefined;
      const rows = await store.listSessions(
        {
          workspaceId: req.workspaceId,
          limit: limit + 1,
          ...(state ? { state } : {}),
          ...(req.machineId ? { machineId: req.machineId } : {}),
          ...(after ? { after } : {}),
        },
        ctx.signal,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        sessions: page.map(sessionMessage),
        nextPageToken: rows.length > limit && last ? encodePageToken(last) : "",
      };
    },

    async stopWorkspaceSession(req, ctx) {
      validateStopSessionRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const session = await findSession(req.workspaceId, req.sessionId, ctx.signal);
      const { result, session: after } = await stopSession({
        store,
        hub: options.hub,
        events,
        session,
        graceMs: (req.graceSeconds || 10) * 1000,
        signal: ctx.signal,
      });
      return { result, session: sessionMessage(after) };
    },
  };
}
