import { toJson } from "@bufbuild/protobuf";
import type { WorkspaceClient } from "../create-workspace-client.js";
import { type Session, SessionSchema, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { type CliIo, exitCode } from "./cli-output.js";
import type { ProgressLine } from "./create-progress-line.js";
import { formatSessionTable, formatTime, sessionStopStatus } from "./format-session.js";

/** What `wsctl sessions --watch` lists and follows. */
export interface SessionsQuery {
  workspaceId: string;
  /** UNSPECIFIED for every state. */
  state: SessionState;
  /** "" for every machine. */
  machineId: string;
  /** 0 for the server's default. */
  pageSize: number;
}

/**
 * `wsctl sessions --watch`: follows WatchWorkspaceSessions. On its first
 * message (a resync, sent once the watch is live) and on every later resync,
 * lists the first page of `query` and prints it as the table; then one line
 * per change, `TIME  SESSION  MACHINE  STATUS`, for sessions that match the
 * filters (and for a listed or printed one that stops matching, so it is seen
 * to leave). With `json`, one JSON object per line: `{"resync": true,
 * "sessions": [...]}` and `{"session": {...}}`, proto field names. Runs until
 * `io.signal` aborts (Ctrl-C: exit 130) or the server ends the stream.
 */
export async function watchSessions(
  client: WorkspaceClient,
  query: SessionsQuery,
  io: CliIo,
  options: { json: boolean; progress: ProgressLine },
): Promise<number> {
  const { json, progress } = options;
  const matches = (s: Session) =>
    (query.state === SessionState.UNSPECIFIED || s.state === query.state) && (query.machineId === "" || s.machineId === query.machineId);
  const shown = new Set<string>();
  const asJson = (s: Session) => toJson(SessionSchema, s, { useProtoFieldName: true });
  let listed = 0;
  progress.update(`watching the sessions of ${query.workspaceId}…`);
  const changes = client.sessions.watchWorkspaceSessions({ workspaceId: query.workspaceId }, { signal: io.signal });
  for await (const message of changes) {
    if (message.resync) {
      const page = await client.sessions.listWorkspaceSessions(
        { workspaceId: query.workspaceId, state: query.state, machineId: query.machineId, pageSize: query.pageSize, pageToken: "" },
        { signal: io.signal },
      );
      progress.clear();
      shown.clear();
      for (const s of page.sessions) shown.add(s.sessionId);
      if (json) io.stdout(`${JSON.stringify({ resync: true, sessions: page.sessions.map(asJson) })}\n`);
      else {
        if (listed > 0) io.stdout("-- resynced: the sessions as they are now --\n");
        io.stdout(page.sessions.length === 0 ? "no sessions\n" : `${formatSessionTable(page.sessions).join("\n")}\n`);
        if (listed === 0) io.stderr("watching for changes; Ctrl-C to stop\n");
      }
      listed++;
      continue;
    }
    const session = message.session;
    if (session === undefined) continue; // a keep-alive
    if (!matches(session) && !shown.has(session.sessionId)) continue;
    shown.add(session.sessionId);
    if (json) io.stdout(`${JSON.stringify({ session: asJson(session) })}\n`);
    else io.stdout(`${formatTime(session.updateTime)}  ${session.sessionId}  ${session.machineId}  ${sessionStopStatus(session)}\n`);
  }
  return exitCode.ok;
}
