import type { SessionSettings } from "../../gen/workspaces/v1/launch_pb.js";
import type { Session } from "../../gen/workspaces/v1/session_pb.js";
import { dateTimeText, stateName, timeText } from "./describe-event.js";
import { element } from "./element.js";

/** `provider claude_code · model haiku · voice en-US`: the settings given at launch. */
export function settingsText(settings: SessionSettings | undefined): string {
  if (!settings) return "";
  const code = settings.code;
  const parts = [
    code?.mode ? `mode ${code.mode}` : "",
    code?.defaultProvider ? `provider ${code.defaultProvider}` : "",
    code?.providers?.claudeCode?.model ? `claude model ${code.providers.claudeCode.model}` : "",
    code?.providers?.codex?.model ? `codex model ${code.providers.codex.model}` : "",
    code?.providers?.codex?.thinking ? `thinking ${code.providers.codex.thinking}` : "",
    code?.permissionMode ? `permissions ${code.permissionMode}` : "",
    settings.voice?.language ? `voice ${settings.voice.language}` : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

/** Fills a `<dl>` with the session's fields that have a value. */
export function renderSessionFields(dl: HTMLElement, s: Session): void {
  const rows: [string, string, string][] = [
    ["State", stateName(s.state), "detail-state"],
    ["Prompt", s.initialPrompt ?? "", "detail-prompt"],
    ["Settings", settingsText(s.sessionSettings), "detail-settings"],
    ["Machine", s.machineId, "detail-machine"],
    ["Provider", s.provider, "detail-provider"],
    ["Model", s.model, "detail-model"],
    ["Branch", s.branch, "detail-branch"],
    ["Work dir", s.workDir, "detail-work-dir"],
    ["Agent session", s.agentSessionId, "detail-agent-session"],
    ["PID", s.pid ? String(s.pid) : "", "detail-pid"],
    ["Exit code", s.exitCode !== undefined ? String(s.exitCode) : "", "detail-exit-code"],
    ["Error", s.errorMessage, "detail-error"],
    ["Stopped by", s.stoppedBy ? `${s.stoppedBy}${s.stopTime ? ` at ${timeText(s.stopTime)}` : ""}` : "", "detail-stopped-by"],
    ["Started", dateTimeText(s.createTime), "detail-started"],
    ["Updated", dateTimeText(s.updateTime), "detail-updated"],
  ];
  dl.replaceChildren(
    ...rows
      .filter(([, value]) => value !== "")
      .flatMap(([label, value, testId]) => [element("dt", {}, label), element("dd", { "data-testid": testId }, value)]),
  );
}
