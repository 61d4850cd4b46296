import type { Api } from "./create-api.js";
import { describeError } from "./describe-error.js";

export interface MessageBoxOptions {
  api: Api;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  status: HTMLElement;
  /** The session messages go to; undefined when none is selected. */
  target: () => { workspaceId: string; sessionId: string } | undefined;
}

/** The message box: enabled while the selected session runs. */
export interface MessageBox {
  enable(running: boolean): void;
}

/**
 * The box under the transcript that sends a follow-up message to the selected
 * session (SendSessionMessage). Each message carries its own Idempotency-Key,
 * so a resend after a lost answer is not delivered twice. Enter sends,
 * Shift+Enter adds a line. The message shows up in the transcript when the
 * agent's machine forwards it.
 */
export function createMessageBox(options: MessageBoxOptions): MessageBox {
  const { api, form, input, status } = options;
  const submit = form.querySelector("button") as HTMLButtonElement;
  let sending = false;
  let running = false;
  const sync = () => {
    input.disabled = !running;
    submit.disabled = !running || sending;
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const target = options.target();
    const text = input.value;
    if (!target || text.trim() === "" || sending) return;
    sending = true;
    sync();
    status.dataset.state = "sending";
    status.textContent = "sending…";
    api.sessions
      .sendSessionMessage({ ...target, text }, { headers: { "Idempotency-Key": crypto.randomUUID() }, timeoutMs: 30_000 })
      .then(
        () => {
          input.value = "";
          status.dataset.state = "sent";
          status.textContent = "sent";
        },
        (error: unknown) => {
          status.dataset.state = "error";
          status.textContent = `Not sent: ${describeError(error)}`;
        },
      )
      .finally(() => {
        sending = false;
        sync();
      });
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  return {
    enable(value) {
      running = value;
      sync();
    },
  };
}
