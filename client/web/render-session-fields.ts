import type { Session } from "../../gen/workspaces/v1/session_pb.js";
import { stateName, timeText } from "./describe-event.js";
import { element } from "./element.js";

/** Fills a `<dl>` with the session's fields that have a value. */
export function renderSessionFields(dl: HTMLElement, s: Session): void {
  const rows: [string, string, string][] = [
    ["State", stateName(s.state), "detail-state"],
    ["Machine", s.machineId, "detail-machine"],
    ["Provider", s.provider, "detail-provider"],
    ["Model", s.model, "detail-model"],
    ["Branch", s.branch, "detail-branch"],
    ["Work dir", s.workDir, "detail-work-dir"],
    ["Agent session", s.agentSessionId, "detail-agent-session"],
    ["PID", s.pid ? String(s.pid) : "", "detail-pid"],
    ["Exit code", s.exitCode !== undefined ? String(s.exitCode) : "", "detail-exit-code"],
    ["Error", s.errorMessage, "detail-error"],
    ["Started", timeText(s.createTime), "detail-started"],
  ];
  dl.replaceChildren(
    ...rows
      .filter(([, value]) => value !== "")
      .flatMap(([label, value, testId]) => [element("dt", {}, label), element("dd", { "data-testid": testId }, value)]),
  );
}
