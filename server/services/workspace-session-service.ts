import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionEvent } from "../../gen/workspaces/v1/session_pb.js";
import {
  type WatchWorkspaceSessionsResponse,
  WatchWorkspaceSessionsResponseSchema,
  type WorkspaceSessionService,
} from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { requireWorkspaceAccess } from "../auth/require-workspace-access.js";
import { idempotencyKeyHeader } from "../launch/create-idempotency-keys.js";
import type { Launcher } from "../launch/create-launcher.js";
import { launchResponse } from "../launch/launch-result.js";
import { kCallInfo } from "../telemetry/request-context.js";
import type { SessionReader } from "../sessions/create-session-reader.js";
import { heartbeatEvent, sessionEventMessage, sessionMessage } from "../sessions/session-messages.js";
import { sessionStateName } from "../sessions/session-state-names.js";
import type { SessionEventRecord } from "../store/store.js";
import { transcriptEntryMessage } from "../sessions/transcript-entries.js";
import { createStreamSlots } from "../limits/create-stream-slots.js";
import { withHeartbeats } from "../streams/with-heartbeats.js";
import { validateListMessagesRequest, validateSendMessageRequest } from "../validation/validate-message-requests.js";
import {
  validateGetSessionRequest,
  validateListSessionsRequest,
  validateStopSessionRequest,
  validateWatchSessionRequest,
  validateWatchSessionsRequest,
} from "../validation/validate-session-requests.js";

export interface WorkspaceSessionServiceOptions {
  launcher: Launcher;
  sessions: SessionReader;
  /** Keep-alive interval of session streams. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Concurrent `WatchWorkspaceSession` and `WatchWorkspaceSessions` streams one API token may hold; more are `resource_exhausted`. Default 100. */
  maxWatchStreamsPerToken?: number;
}

/** Default grace of a stop when the request gives none, in seconds. */
const defaultGraceSeconds = 10;

/**
 * `WorkspaceSessionService`: each RPC checks the request and the caller's
 * access to the workspace, makes one call into the launch room or the session
 * reader, and turns the answer into its response message.
 */
export function createWorkspaceSessionService(options: WorkspaceSessionServiceOptions): ServiceImpl<typeof WorkspaceSessionService> {
  const { launcher, sessions } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const watchSlots = createStreamSlots({ max: options.maxWatchStreamsPerToken ?? 100, what: "Watch streams" });

  /** A session's event records as messages, with keep-alives while it is quiet. */
  function eventStream(sessionId: string, records: AsyncIterable<SessionEventRecord>, signal: AbortSignal): AsyncGenerator<SessionEvent> {
    const messages = (async function* () {
      for await (const record of records) yield sessionEventMessage(record);
      // A stream cut short by the server (a shutdown) ends with its code, so the client reconnects.
      if (signal.aborted) throw signal.reason;
    })();
    return withHeartbeats(messages, heartbeatMs, () => heartbeatEvent(sessionId));
  }

  return {
    async launchWorkspaceSession(req, ctx) {
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const result = await launcher.launch(principal, req, {
        idempotencyKey: ctx.requestHeader.get(idempotencyKeyHeader) ?? undefined,
        signal: ctx.signal,
        timeoutMs: ctx.timeoutMs(),
        requestId: ctx.values.get(kCallInfo)?.requestId,
      });
      return launchResponse(result);
    },

    async *launchWorkspaceSessionStream(req, ctx) {
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const launch = await launcher.launchAndFollow(principal, req, { signal: ctx.signal, requestId: ctx.values.get(kCallInfo)?.requestId });
      yield* eventStream(launch.session.sessionId, launch.events, ctx.signal);
    },

    async *watchWorkspaceSession(req, ctx) {
      validateWatchSessionRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const release = watchSlots.acquire(principal.tokenId);
      try {
        const records = await sessions.watch(req.workspaceId, req.sessionId, Number(req.afterSequence), ctx.signal);
        yield* eventStream(req.sessionId, records, ctx.signal);
      } finally {
        release();
      }
    },

    async *watchWorkspaceSessions(req, ctx) {
      validateWatchSessionsRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const release = watchSlots.acquire(principal.tokenId);
      try {
        const changes = sessions.watchWorkspace(req.workspaceId, ctx.signal);
        const messages = (async function* (): AsyncGenerator<WatchWorkspaceSessionsResponse> {
          for await (const change of changes) {
            yield change.kind === "resync"
              ? create(WatchWorkspaceSessionsResponseSchema, { resync: true })
              : create(WatchWorkspaceSessionsResponseSchema, { session: sessionMessage(change.session) });
          }
          if (ctx.signal.aborted) throw ctx.signal.reason;
        })();
        yield* withHeartbeats(messages, heartbeatMs, () => create(WatchWorkspaceSessionsResponseSchema));
      } finally {
        release();
      }
    },

    async getWorkspaceSession(req, ctx) {
      validateGetSessionRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      return { session: sessionMessage(await sessions.get(req.workspaceId, req.sessionId, ctx.signal)) };
    },

    async listWorkspaceSessions(req, ctx) {
      validateListSessionsRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const page = await sessions.list(
        {
          workspaceId: req.workspaceId,
          pageSize: req.pageSize,
          pageToken: req.pageToken,
          state: req.state ? sessionStateName(req.state) : undefined,
          machineId: req.machineId,
        },
        ctx.signal,
      );
      return { sessions: page.sessions.map(sessionMessage), nextPageToken: page.nextPageToken };
    },

    async stopWorkspaceSession(req, ctx) {
      validateStopSessionRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const session = await sessions.get(req.workspaceId, req.sessionId, ctx.signal);
      const { result, session: after } = await launcher.stop(session, {
        graceMs: (req.graceSeconds || defaultGraceSeconds) * 1000,
        signal: ctx.signal,
        stoppedBy: principal.tokenId,
        requestId: ctx.values.get(kCallInfo)?.requestId,
      });
      return { result, session: sessionMessage(after) };
    },

    async listSessionMessages(req, ctx) {
      validateListMessagesRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const page = await sessions.messages(
        req.workspaceId,
        req.sessionId,
        {
          afterSequence: Number(req.afterSequence),
          beforeSequence: Number(req.beforeSequence),
          pageSize: req.pageSize,
          backward: req.backward,
        },
        ctx.signal,
      );
      return { messages: page.events.map(sessionEventMessage), hasMore: page.hasMore, lastSequence: BigInt(page.lastSequence) };
    },

    async sendSessionMessage(req, ctx) {
      validateSendMessageRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const session = await sessions.get(req.workspaceId, req.sessionId, ctx.signal);
      const sent = await launcher.sendMessage(principal, session, req.text, {
        idempotencyKey: ctx.requestHeader.get(idempotencyKeyHeader) ?? undefined,
        signal: ctx.signal,
        requestId: ctx.values.get(kCallInfo)?.requestId,
      });
      return { session: sessionMessage(sent.session), entry: transcriptEntryMessage(sent.entry) };
    },
  };
}
