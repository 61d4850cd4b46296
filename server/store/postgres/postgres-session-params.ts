import type { SessionPatch, SessionRecord } from "../store.js";
import { jsonb, optionalText, text } from "./postgres-rows.js";

/**
 * A session's values for the PostgreSQL store's insert and update statements
 * (see `postgres-statements.ts` for the order of their columns).
 */

/** A session as insert values, in the order of `sessionColumns`. */
export function sessionToParams(session: SessionRecord): unknown[] {
  return [
    session.sessionId,
    session.workspaceId,
    session.machineId,
    session.state,
    text(session.provider),
    text(session.model),
    text(session.agentSessionId),
    text(session.workDir),
    text(session.branch),
    session.pid,
    session.exitCode ?? null,
    text(session.errorMessage),
    jsonb(session.metadata),
    jsonb(session.acknowledgement),
    session.createdAt,
    session.updatedAt,
    text(session.initialPrompt ?? ""),
    jsonb(session.settings),
    session.transcriptLength ?? 0,
    text(session.stoppedBy ?? ""),
    session.stopTime ?? 0,
  ];
}

/**
 * A patch as update values ($1 the session id, then `sessionPatchColumns`,
 * then whether to set the acknowledgement and to what, then updated_at): an
 * undefined field is NULL and keeps its stored value (so `exitCode` cannot be
 * cleared); `acknowledgement: null` clears it.
 */
export function patchToParams(sessionId: string, patch: SessionPatch): unknown[] {
  return [
    sessionId,
    patch.machineId ?? null,
    patch.state ?? null,
    optionalText(patch.provider),
    optionalText(patch.model),
    optionalText(patch.agentSessionId),
    optionalText(patch.workDir),
    optionalText(patch.branch),
    patch.pid ?? null,
    patch.exitCode ?? null,
    optionalText(patch.errorMessage),
    patch.metadata === undefined ? null : jsonb(patch.metadata),
    patch.acknowledgement !== undefined,
    jsonb(patch.acknowledgement ?? undefined),
    patch.updatedAt,
    optionalText(patch.initialPrompt),
    "settings" in patch,
    jsonb(patch.settings),
    patch.transcriptLength ?? null,
    optionalText(patch.stoppedBy),
    patch.stopTime ?? null,
  ];
}
