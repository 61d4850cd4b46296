import { create } from "@bufbuild/protobuf";
import { type Session, type SessionEvent, SessionEventType, SessionSchema, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import type { Api } from "./create-api.js";
import { createApprovalsView } from "./create-approvals-view.js";
import { createMessageBox } from "./create-message-box.js";
import { createStopControl } from "./create-stop-control.js";
import { createTranscriptView } from "./create-transcript-view.js";
import { describeError, isAbort } from "./describe-error.js";
import { eventDetail, eventName, isTerminal, timeText } from "./describe-event.js";
import { element } from "./element.js";
import { keepStreaming } from "./keep-streaming.js";
import { renderSessionFields } from "./render-session-fields.js";
import { sessionHref, sessionRow } from "./session-row.js";
import { applyAcknowledgement, isNewer } from "./session-updates.js";

export interface SessionsViewOptions {
  api: Api;
  list: HTMLElement;
  empty: HTMLElement;
  /** Paging: the newer and older page buttons and the page's label. */
  pager: { newer: HTMLButtonElement; older: HTMLButtonElement; label: HTMLElement };
  /** Sessions per page. */
  pageSize: number;
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
  stopConfirm: { box: HTMLElement; yes: HTMLButtonElement; no: HTMLButtonElement };
  onError: (message: string) => void;
}

export interface SessionsView {
  /**
   * Shows the sessions of `workspaceId` ("" for none), kept live over
   * WatchWorkspaceSessions: its first message (and every resync) lists the
   * current page again, each change updates its row. Nothing happens for the
   * workspace already shown.
   */
  watch(workspaceId: string): void;
  /** Applies a live event (from a launch stream) to the list, adding the session if it is new. */
  apply(workspaceId: string, ev: SessionEvent): void;
  /** Shows a session's fields and follows its events over WatchWorkspaceSession; the address becomes `#session=ID`. */
  select(workspaceId: string, sessionId: string): void;
  /** Forgets every session and stops following (a new token or workspace). */
  reset(): void;
}

/**
 * The sessions panel: one page of the workspace's sessions, newest first,
 * with newer/older paging, kept live by WatchWorkspaceSessions and the launch
 * streams of this page; the selected session followed over
 * WatchWorkspaceSession. A session's events are applied once, in sequence
 * order, whichever stream brings them first; a list answer never overwrites
 * a newer view of a session.
 */
export function createSessionsView(options: SessionsViewOptions): SessionsView {
  const { api, list, empty, pager, detail, detailTitle, fields, events } = options;
  let workspace = "";
  /** Every session known: the page's, and a selected one from elsewhere. */
  let sessions = new Map<string, Session>();
  /** The page's rows, in order. */
  let order: string[] = [];
  /** Page tokens of the pages up to the current one ("" for the first); the current is the last. */
  let pageTokens = [""];
  let nextPageToken = "";
  const lastSequence = new Map<string, bigint>();
  let selected: string | undefined;
  let watch: AbortController | undefined;
  let following: AbortController | undefined;
  const transcript = createTranscriptView(options.transcript);
  const approvals = createApprovalsView({ api, ...options.approvals, onError: options.onError });
  const target = () => (selected ? { workspaceId: workspace, sessionId: selected } : undefined);
  const messageBox = createMessageBox({ api, ...options.message, target });
  const stop = createStopControl({
    api,
    button: options.stop,
    confirm: options.stopConfirm,
    target,
    onStopped: (after) => upsert(after),
    onError: options.onError,
  });

  function render(): void {
    list.replaceChildren(...order.map((id) => sessionRow(sessions.get(id)!, id === selected, () => choose(id))));
    empty.hidden = order.length > 0;
    pager.newer.disabled = pageTokens.length === 1;
    pager.older.disabled = nextPageToken === "";
    pager.label.textContent = `Page ${pageTokens.length}`;
    const s = selected ? sessions.get(selected) : undefined;
    detail.hidden = !s;
    if (!s) return;
    detailTitle.textContent = `Session ${s.sessionId}`;
    renderSessionFields(fields, s);
    stop.show(!isTerminal(s.state));
    // An agent waiting for an approval still takes messages, as a running one does.
    messageBox.enable(s.state === SessionState.RUNNING || s.state === SessionState.AWAITING_APPROVAL);
  }

  /** A row's click: a new address, which selects the session (and the back button returns). */
  function choose(sessionId: string): void {
    const href = sessionHref(sessionId);
    if (location.hash === href) selectSession(workspace, sessionId);
    else location.hash = href;
  }

  /** Takes a session from the workspace watch or a stop answer, unless a newer view of it is known. */
  function upsert(s: Session): void {
    if (s.workspaceId !== workspace) return;
    const known = sessions.get(s.sessionId);
    if (known && isNewer(known, s)) return;
    if (known) {
      s.initialPrompt ??= known.initialPrompt;
      s.sessionSettings ??= known.sessionSettings;
    }
    sessions.set(s.sessionId, s);
    // A new session belongs on the first page, newest first.
    if (!order.includes(s.sessionId) && pageTokens.length === 1) order.unshift(s.sessionId);
    render();
  }

  function apply(workspaceId: string, ev: SessionEvent): void {
    if (workspaceId !== workspace || ev.type === SessionEventType.HEARTBEAT || !ev.sessionId) return;
    if (ev.sequence <= (lastSequence.get(ev.sessionId) ?? 0n)) return;
    lastSequence.set(ev.sessionId, ev.sequence);
    let s = sessions.get(ev.sessionId);
    if (!s) {
      s = create(SessionSchema, { sessionId: ev.sessionId, workspaceId, createTime: ev.time });
      sessions.set(s.sessionId, s);
      if (pageTokens.length === 1) order.unshift(s.sessionId);
    }
    s.state = ev.state;
    if (ev.machineId) s.machineId = ev.machineId;
    s.updateTime = ev.time;
    if (ev.type === SessionEventType.ACKNOWLEDGED) applyAcknowledgement(s, ev);
    if (ev.exitCode !== undefined) s.exitCode = ev.exitCode;
    if (ev.type === SessionEventType.FAILED) s.errorMessage = ev.message;
    render();
  }

  /** Lists the current page again. */
  async function listPage(signal: AbortSignal): Promise<void> {
    const workspaceId = workspace;
    const pageToken = pageTokens[pageTokens.length - 1]!;
    const res = await api.sessions.listWorkspaceSessions({ workspaceId, pageSize: options.pageSize, pageToken }, { signal, timeoutMs: 10_000 });
    if (workspaceId !== workspace || pageToken !== pageTokens[pageTokens.length - 1]) return;
    const page = res.sessions.map((s) => {
      const known = sessions.get(s.sessionId);
      // A list answer can be older than an event seen live meanwhile: the newer view wins.
      if (known && isNewer(known, s)) return known;
      if (known && s.initialPrompt === undefined) {
        s.initialPrompt = known.initialPrompt;
        s.sessionSettings ??= known.sessionSettings;
      }
      return s;
    });
    const listed = new Set(page.map((s) => s.sessionId));
    // On the first page, sessions seen live that the list does not hold yet stay on top.
    const fresh = pageTokens.length === 1 ? order.filter((id) => !listed.has(id)).map((id) => sessions.get(id)!) : [];
    const shown = [...fresh, ...page];
    const keep = selected ? sessions.get(selected) : undefined;
    sessions = new Map(shown.map((s) => [s.sessionId, s]));
    if (keep && !sessions.has(keep.sessionId)) sessions.set(keep.sessionId, keep);
    order = shown.map((s) => s.sessionId);
    nextPageToken = res.nextPageToken;
    render();
  }

  function followWorkspace(workspaceId: string, signal: AbortSignal): Promise<void> {
    const what = `Following the sessions of ${workspaceId}`;
    return keepStreaming({ signal, what, onError: options.onError, endIsDone: false }, async (connected) => {
      for await (const change of api.sessions.watchWorkspaceSessions({ workspaceId }, { signal })) {
        connected();
        if (change.resync) await listPage(signal);
        else if (change.session) upsert(change.session);
      }
    });
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

  function followSession(workspaceId: string, sessionId: string, signal: AbortSignal): Promise<void> {
    let after = 0n;
    return keepStreaming({ signal, what: `Following session ${sessionId}`, onError: options.onError, endIsDone: true }, async (connected) => {
      for await (const ev of api.sessions.watchWorkspaceSession({ workspaceId, sessionId, afterSequence: after }, { signal })) {
        connected();
        if (ev.type === SessionEventType.HEARTBEAT) continue;
        after = ev.sequence;
        if (ev.type === SessionEventType.TRANSCRIPT) transcript.append(ev);
        else appendEvent(ev);
        approvals.apply(ev);
        apply(workspaceId, ev);
      }
    });
  }

  function selectSession(workspaceId: string, sessionId: string): void {
    if (workspaceId !== workspace || !workspaceId) return;
    if (location.hash !== sessionHref(sessionId)) history.replaceState(null, "", sessionHref(sessionId));
    if (selected === sessionId && following && !following.signal.aborted) return;
    following?.abort();
    selected = sessionId;
    stop.cancel();
    events.replaceChildren();
    transcript.clear();
    approvals.show({ workspaceId, sessionId });
    following = new AbortController();
    const { signal } = following;
    render();
    // The list holds no prompt or settings, and a linked session may be on no page shown: the session itself has them.
    void api.sessions.getWorkspaceSession({ workspaceId, sessionId }, { signal, timeoutMs: 10_000 }).then(
      (res) => {
        if (!res.session || sessionId !== selected) return;
        const known = sessions.get(sessionId);
        if (known) {
          known.initialPrompt = res.session.initialPrompt;
          known.sessionSettings = res.session.sessionSettings;
        } else sessions.set(sessionId, res.session);
        render();
      },
      (error: unknown) => {
        if (!isAbort(error)) options.onError(`Session ${sessionId}: ${describeError(error)}`);
      },
    );
    void followSession(workspaceId, sessionId, signal);
  }

  /** Moves to the page `tokens` ends with, and lists it. */
  function turnPage(tokens: string[]): void {
    pageTokens = tokens;
    nextPageToken = "";
    order = [];
    render();
    if (watch) void listPage(watch.signal).catch((error: unknown) => options.onError(`Listing sessions: ${describeError(error)}`));
  }
  pager.older.addEventListener("click", () => {
    if (nextPageToken) turnPage([...pageTokens, nextPageToken]);
  });
  pager.newer.addEventListener("click", () => {
    if (pageTokens.length > 1) turnPage(pageTokens.slice(0, -1));
  });

  function reset(): void {
    watch?.abort();
    watch = undefined;
    following?.abort();
    following = undefined;
    selected = undefined;
    workspace = "";
    sessions = new Map();
    order = [];
    pageTokens = [""];
    nextPageToken = "";
    lastSequence.clear();
    events.replaceChildren();
    transcript.clear();
    approvals.show(undefined);
    stop.cancel();
    render();
  }

  return {
    watch(workspaceId) {
      if (workspaceId === workspace && watch && !watch.signal.aborted) return;
      reset();
      workspace = workspaceId;
      if (!workspaceId) return;
      watch = new AbortController();
      void followWorkspace(workspaceId, watch.signal);
    },
    apply,
    select: selectSession,
    reset,
  };
}
