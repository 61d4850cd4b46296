import { create } from "@bufbuild/protobuf";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import { type SessionEvent, SessionEventType } from "../../gen/workspaces/v1/session_pb.js";
import type { Api } from "./create-api.js";
import { eventDetail, eventName, isTerminal, stateName, timeText } from "./describe-event.js";
import { describeError } from "./describe-error.js";
import { byId, element } from "./element.js";

export interface LaunchFormOptions {
  api: Api;
  form: HTMLFormElement;
  /** Where each event of the latest launch is listed. */
  events: HTMLElement;
  status: HTMLElement;
  error: HTMLElement;
  /** Every event of every launch from this page, for the sessions list. */
  onEvent: (workspaceId: string, ev: SessionEvent) => void;
  /** Once a launch is accepted: its workspace and session id. */
  onAccepted: (workspaceId: string, sessionId: string) => void;
}

const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(id).value.trim();
const optional = (v: string) => (v === "" ? undefined : v);

/** The launch request the form describes: the seed's fields, empty ones left unset. */
export function readLaunchRequest(): LaunchWorkspaceSessionRequest {
  const provider = value("launch-provider");
  const model = optional(value("launch-model"));
  const language = optional(value("launch-language"));
  const permissionMode = optional(value("launch-permission-mode"));
  return create(LaunchWorkspaceSessionRequestSchema, {
    workspaceId: value("launch-workspace"),
    machineId: optional(value("launch-machine")),
    initialPrompt: optional(byId<HTMLTextAreaElement>("launch-prompt").value),
    worktreeName: optional(value("launch-worktree")),
    sessionSettings: {
      code: {
        mode: value("launch-mode") || "agent",
        defaultProvider: provider,
        providers:
          provider === "codex"
            ? { codex: { model, thinking: optional(value("launch-thinking")) } }
            : { claudeCode: { model } },
        // Unset: the workspace's default mode.
        ...(permissionMode ? { permissionMode } : {}),
      },
      ...(language ? { voice: { language } } : {}),
    },
  });
}

/**
 * The launch form: LaunchWorkspaceSessionStream with the form's settings, each
 * event listed as it arrives (accepted, dispatched, acknowledged with its
 * status, running, exited with its code, failed or stopped). The form is ready for the
 * next launch once the daemon acknowledged; the stream is followed to its end.
 */
export function createLaunchForm(options: LaunchFormOptions): void {
  const { api, form, events, status, error } = options;
  const submit = byId<HTMLButtonElement>("launch-submit");
  const provider = byId<HTMLSelectElement>("launch-provider");
  const thinking = byId<HTMLSelectElement>("launch-thinking");
  let launchNo = 0;

  provider.addEventListener("change", () => {
    thinking.disabled = provider.value !== "codex";
  });

  function show(no: number, ev: SessionEvent): void {
    // The transcript is shown with the selected session, not in the launch's list of state changes.
    if (no !== launchNo || ev.type === SessionEventType.HEARTBEAT || ev.type === SessionEventType.TRANSCRIPT) return;
    const type = eventName(ev.type);
    const attrs: Record<string, string | undefined> = {
      class: `event event-${type}`,
      "data-testid": "launch-event",
      "data-type": type,
      "data-status": ev.acknowledgement?.status,
      "data-exit-code": ev.exitCode !== undefined ? String(ev.exitCode) : undefined,
    };
    events.append(
      element(
        "li",
        attrs,
        element("span", { class: "time" }, timeText(ev.time)),
        element("span", { class: "type" }, type),
        element("span", { class: "detail" }, eventDetail(ev)),
      ),
    );
    status.dataset.state = stateName(ev.state);
    status.textContent = stateName(ev.state);
  }

  async function launch(request: LaunchWorkspaceSessionRequest): Promise<void> {
    const no = ++launchNo;
    events.replaceChildren();
    error.hidden = true;
    status.dataset.state = "launching";
    status.textContent = "launching…";
    submit.disabled = true;
    try {
      for await (const ev of api.sessions.launchWorkspaceSessionStream(request)) {
        options.onEvent(request.workspaceId, ev);
        show(no, ev);
        if (ev.type === SessionEventType.ACCEPTED) options.onAccepted(request.workspaceId, ev.sessionId);
        if (ev.type === SessionEventType.ACKNOWLEDGED || isTerminal(ev.state)) {
          if (no === launchNo) submit.disabled = false;
        }
      }
    } catch (e) {
      if (no !== launchNo) return;
      error.textContent = `Launch failed: ${describeError(e)}`;
      error.hidden = false;
      status.dataset.state = "error";
      status.textContent = "not launched";
    } finally {
      if (no === launchNo) submit.disabled = false;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    void launch(readLaunchRequest());
  });
}
