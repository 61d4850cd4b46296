import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Session, SessionEvent } from "../../gen/workspaces/v1/session_pb.js";

// How the page's copy of a session takes news from its several sources (the
// list, the workspace watch, the launch and session streams).

function millis(ts: Timestamp | undefined): number {
  return ts ? Number(ts.seconds) * 1000 + ts.nanos / 1e6 : 0;
}

/** Whether `a` reflects a later change than `b` (both times are the server's). */
export function isNewer(a: Session, b: Session): boolean {
  return millis(a.updateTime) > millis(b.updateTime);
}

/** What the daemon's acknowledgement tells about the session, copied onto it. */
export function applyAcknowledgement(s: Session, ev: SessionEvent): void {
  const p = ev.acknowledgement?.payload;
  if (!p) return;
  s.acknowledgement = ev.acknowledgement;
  if (typeof p.pid === "number") s.pid = p.pid;
  if (typeof p.provider === "string") s.provider = p.provider;
  if (typeof p.model === "string") s.model = p.model;
  if (typeof p.branch === "string") s.branch = p.branch;
  if (typeof p.work_dir === "string") s.workDir = p.work_dir;
  if (typeof p.agent_session_id === "string") s.agentSessionId = p.agent_session_id;
}
