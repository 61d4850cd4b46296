import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type Session,
  type SessionEvent,
  SessionEventType,
  SessionSchema,
  SessionState,
} from "../../gen/workspaces/v1/session_pb.js";
import type { Api } from "./create-api.js";
import { eventDetail, eventName, isTerminal, stateName, timeText } from "./describe-event.js";
import { describeError, isAbort } from "./describe-error.js";
import { element } from "./element.js";
import { createApprovalsView } from "./create-approvals-view.js";
import { createMessageBox } from "./create-message-box.js";
import { createTranscriptView } from "./create-transcript-view.js";
import { renderSessionFields } from "./render-session-fields.js";

export interface SessionsViewOptions {
  api: Api;
  list: HTMLElement;
  empty: HTMLElement;
  detail: HTMLElement;
  detailTitle: HTMLElement;
  fields: HTMLElement;
  events: HTMLElement;
  /** Where the selected session's transcript is shown. */
  transcript: HTMLElement;
  /** The selected session's pending permission requests: the box and its list. */
  approvals: { container: HTMLElement; list: HTMLElement };
  /** The box that sends a message to the selected session. */
  message: { form: HTMLFormElement; input: HTMLTextAreaElement; status: HTMLElement };
  stop: HTMLButtonElement;
  onError: (message: string) => void;
}

export interface SessionsView {
  /** Lists the workspace's newest sessions again; rejects with the call's error. */
  refresh(workspaceId: string, signal?: AbortSignal): Promise<void>;
  /** Applies a live event (from a launch stream) to the list, adding the session if it is new. */
  apply(workspaceId: string, ev: SessionEvent): void;
  /** Shows a session's fields and follows its events over WatchWorkspaceSession. */
  select(workspaceId: string, sessionId: string): void;
  /** Forgets every session and stops following (a new token or workspace). */
  reset(): void;
}

/** Errors a retry cannot fix: following stops and the error is shown. */
const finalCodes = new Set([Code.NotFound, Code.Unauthenticated, Code.PermissionDenied, Code.InvalidArgument]);

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function millis(ts: Timestamp | undefined): number {
  return ts ? Number(ts.seconds) * 1000 + ts.nanos / 1e6 : 0;
}

/** Whether `a` reflects a later change than `b` (both times are the server's). */
function isNewer(a: Session, b: Session): boolean {
  return millis(a.updateTime) > millis(b.updateTime);
}

/** What the daemon's acknowledgement tells about the session, copied onto it. */
function applyAcknowledgement(s: Session, ev: SessionEvent): void {
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

/**
 * The sessions panel: the workspace's sessions, newest first, kept live from
 * the launch streams of this page and from WatchWorkspaceSession for the
 * selected one. Each session's events are applied once, in sequence order,
 * whichever stream brings them first.
 */
export function createSessionsView(options: SessionsViewOptions): SessionsView {
  const { api, list, empty, detail, detailTitle, fields, events, stop } = options;
  let workspace = "";
  let sessions = new Map<string, Session>();
  let order: string[] = [];
  const lastSequence = new Map<string, bigint>();
  let selected: string | undefined;
  let watch: AbortController | undefined;
  const transcript = createTranscriptView(options.transcript);
  const approvals = createApprovalsView({ api, ...options.approvals, onError: options.onError });
  const messageBox = createMessageBox({
    api,
    ...options.message,
    target: () => (selected ? { workspaceId: workspace, sessionId: selected } : undefined),
  });

  function row(s: Session): HTMLTableRowElement {
    const state = stateName(s.state);
    const tr = element(
      "tr",
      {
        class: s.sessionId === selected ? "selected" : undefined,
        tabindex: 0,
        "data-testid": "session-row",
        "data-session-id": s.sessionId,
        "data-state": state,
      },
      element("td", {}, element("span", { class: `pill state-${state}`, "data-testid": "session-state" }, state)),
      element("td", { class: "mono", title: s.sessionId }, s.sessionId.slice(0, 8)),
      element("td", {}, s.machineId),
      element("td", {}, [s.provider, s.model].filter(Boolean).join(" · ")),
      element("td", { class: "mono" }, s.branch),
      element("td", {}, timeText(s.createTime)),
    );
    const choose = () => selectSession(workspace, s.sessionId);
    tr.addEventListener("click", choose);
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter") choose();
    });
    return tr;
  }

  function render(): void {
    list.replaceChildren(...order.map((id) => row(sessions.get(id)!)));
    empty.hidden = order.length > 0;
    const s = selected ? sessions.get(selected) : undefined;
    detail.hidden = !s;
    if (!s) return;
    detailTitle.textContent = `Session ${s.sessionId}`;
    renderSessionFields(fields, s);
    stop.hidden = isTerminal(s.state);
    // An agent waiting for an approval still takes messages, as a running one does.
    messageBox.enable(s.state === SessionState.RUNNING || s.state === SessionState.AWAITING_APPROVAL);
  }

  function apply(workspaceId: string, ev: SessionEvent): void {
    if (workspaceId !== workspace || ev.type === SessionEventType.HEARTBEAT || !ev.sessionId) return;
    if (ev.sequence <= (lastSequence.get(ev.sessionId) ?? 0n)) return;
    lastSequence.set(ev.sessionId, ev.sequence);
    let s = sessions.get(ev.sessionId);
    if (!s) {
      s = create(SessionSchema, { sessionId: ev.sessionId, workspaceId, createTime: ev.time });
      sessions.set(s.sessionId, s);
      order.unshift(s.sessionId);
    }
    s.state = ev.state;
    if (ev.machineId) s.machineId = ev.machineId;
    s.updateTime = ev.time;
    if (ev.type === SessionEventType.ACKNOWLEDGED) applyAcknowledgement(s, ev);
    if (ev.exitCode !== undefined) s.exitCode = ev.exitCode;
    if (ev.type === SessionEventType.FAILED) s.errorMessage = ev.message;
    render();
  }

  function appendEvent(ev: SessionEvent): void {
    const type = eventName(ev.type);
    events.append(
      element(
        "li",
        { class: `event event-${type}`, "data-testid": "session-event", "data-type": type },
        element("span", { class: "time" }, timeText(ev.time)),
        element("span", { class: "type" }, type),
        element("span", { class: "detail" }, eventDetail(ev)),
      ),
    );
  }

  async function follow(workspaceId: string, sessionId: string, signal: AbortSignal): Promise<void> {
    let after = 0n;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const stream = api.sessions.watchWorkspaceSession({ workspaceId, sessionId, afterSequence: after }, { signal });
        for await (const ev of stream) {
          attempt = 0;
          if (ev.type === SessionEventType.HEARTBEAT) continue;
          after = ev.sequence;
          if (ev.type === SessionEventType.TRANSCRIPT) {
            transcript.append(ev);
            if (ev.entry) approvals.applyEntry(ev.entry);
          } else {
            appendEvent(ev);
            // A state change may mean a request was decided elsewhere; an ended session asks nothing.
            if (isTerminal(ev.state)) approvals.show(undefined);
            else approvals.reconcile();
          }
          apply(workspaceId, ev);
        }
        return; // The session reached a terminal state.
      } catch (error) {
        if (signal.aborted || isAbort(error)) return;
        const final = finalCodes.has(ConnectError.from(error).code);
        options.onError(`Following session ${sessionId}: ${describeError(error)}${final ? "" : " (reconnecting)"}`);
        if (final) return;
        await delay(Math.min(500 * 2 ** attempt, 10_000), signal);
      }
    }
  }

  function selectSession(workspaceId: string, sessionId: string): void {
    if (workspaceId !== workspace) return;
    if (selected === sessionId && watch && !watch.signal.aborted) return;
    watch?.abort();
    selected = sessionId;
    events.replaceChildren();
    transcript.clear();
    approvals.show({ workspaceId, sessionId });
    watch = new AbortController();
    render();
    // The list holds no prompt or settings: the session itself does.
    void api.sessions.getWorkspaceSession({ workspaceId, sessionId }, { signal: watch.signal, timeoutMs: 10_000 }).then(
      (res) => {
        const known = sessions.get(sessionId);
        if (res.session && known && sessionId === selected) {
          known.initialPrompt = res.session.initialPrompt;
          known.sessionSettings = res.session.sessionSettings;
          render();
        }
      },
      () => undefined,
    );
    void follow(workspaceId, sessionId, watch.signal);
  }

  stop.addEventListener("click", () => {
    const id = selected;
    if (!id) return;
    stop.disabled = true;
    api.sessions
      .stopWorkspaceSession({ workspaceId: workspace, sessionId: id }, { timeoutMs: 30_000 })
      .then((res) => {
        // Who stopped it and when are on the session, not on its events.
        const s = sessions.get(id);
        if (!s || !res.session) return;
        s.stoppedBy = res.session.stoppedBy;
        s.stopTime = res.session.stopTime;
        render();
      })
      .catch((error: unknown) => options.onError(`Stopping session ${id}: ${describeError(error)}`))
      .finally(() => {
        stop.disabled = false;
      });
  });

  function reset(): void {
    watch?.abort();
    watch = undefined;
    selected = undefined;
    sessions = new Map();
    order = [];
    lastSequence.clear();
    events.replaceChildren();
    transcript.clear();
    approvals.show(undefined);
    render();
  }

  return {
    async refresh(workspaceId, signal) {
      if (workspaceId !== workspace) {
        reset();
        workspace = workspaceId;
      }
      if (!workspaceId) return;
      const res = await api.sessions.listWorkspaceSessions({ workspaceId, pageSize: 50 }, { signal, timeoutMs: 10_000 });
      if (workspaceId !== workspace) return;
      const listed = new Set(res.sessions.map((s) => s.sessionId));
      // Sessions this page launched that the list does not hold yet stay on top.
      const next = order.filter((id) => !listed.has(id)).map((id) => sessions.get(id)!);
      for (const s of res.sessions) {
        const known = sessions.get(s.sessionId);
        // A list answer can be older than an event seen live meanwhile: the newer view wins.
        next.push(known && isNewer(known, s) ? known : s);
      }
      for (const s of next) {
        const known = sessions.get(s.sessionId);
        if (known && s !== known && s.initialPrompt === undefined) {
          s.initialPrompt = known.initialPrompt;
          s.sessionSettings ??= known.sessionSettings;
        }
      }
      sessions = new Map(next.map((s) => [s.sessionId, s]));
      order = next.map((s) => s.sessionId);
      render();
    },
    apply,
    select: selectSession,
    reset,
  };
}
