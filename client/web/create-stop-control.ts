import type { Session } from "../../gen/workspaces/v1/session_pb.js";
import type { Api } from "./create-api.js";
import { describeError } from "./describe-error.js";

export interface StopControlOptions {
  api: Api;
  /** "Stop session": asks for confirmation first. */
  button: HTMLButtonElement;
  /** The confirmation, hidden until asked, with its two answers. */
  confirm: { box: HTMLElement; yes: HTMLButtonElement; no: HTMLButtonElement };
  /** The session a stop is for, when one is selected. */
  target: () => { workspaceId: string; sessionId: string } | undefined;
  /** The session as the stop answered it. */
  onStopped: (session: Session) => void;
  onError: (message: string) => void;
}

export interface StopControl {
  /** Shows the button for a session that can be stopped, hides it (and any open confirmation) otherwise. */
  show(stoppable: boolean): void;
  /** Closes an open confirmation (another session was selected). */
  cancel(): void;
}

/**
 * The stop of the selected session: the button opens a confirmation saying
 * what a stop does; only "Stop it" calls StopWorkspaceSession, "Keep running"
 * or Escape closes it. The answer's session (who stopped it, when) goes to
 * `onStopped`; a failure to `onError`.
 */
export function createStopControl(options: StopControlOptions): StopControl {
  const { api, button, confirm } = options;
  let stoppable = false;
  const close = () => {
    confirm.box.hidden = true;
    button.hidden = !stoppable;
  };
  button.addEventListener("click", () => {
    if (!options.target()) return;
    confirm.box.hidden = false;
    button.hidden = true;
    confirm.no.focus();
  });
  confirm.no.addEventListener("click", close);
  confirm.box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  confirm.yes.addEventListener("click", () => {
    const target = options.target();
    if (!target) return;
    confirm.yes.disabled = true;
    api.sessions
      .stopWorkspaceSession(target, { timeoutMs: 30_000 })
      .then((res) => {
        if (res.session) options.onStopped(res.session);
      })
      .catch((error: unknown) => options.onError(`Stopping session ${target.sessionId}: ${describeError(error)}`))
      .finally(() => {
        confirm.yes.disabled = false;
        close();
      });
  });
  return {
    show(can) {
      stoppable = can;
      if (confirm.box.hidden) button.hidden = !can;
      else if (!can) close();
    },
    cancel: close,
  };
}
