import { Code, ConnectError } from "@connectrpc/connect";
import type { PermissionRequest } from "../../gen/workspaces/v1/permission_pb.js";
import { type SessionEvent, SessionEventType } from "../../gen/workspaces/v1/session_pb.js";
import { TranscriptEntryKind } from "../../gen/workspaces/v1/transcript_pb.js";
import type { Api } from "./create-api.js";
import { isTerminal, timeText, toolCallText } from "./describe-event.js";
import { describeError, isAbort } from "./describe-error.js";
import { element } from "./element.js";

export interface ApprovalsViewOptions {
  api: Api;
  /** The box shown while requests wait; hidden when none does. */
  container: HTMLElement;
  /** The list inside it, one item per request. */
  list: HTMLElement;
  onError: (message: string) => void;
}

/** The selected session's pending permission requests, with Approve and Deny. */
export interface ApprovalsView {
  /** Shows the requests of this session (or none), listing them from the server. */
  show(target: { workspaceId: string; sessionId: string } | undefined): void;
  /**
   * An event of the shown session: a PERMISSION_REQUEST entry adds an item, a
   * PERMISSION_DECISION entry removes it; a state change lists the pending
   * requests again (one may have been decided elsewhere); an ended session asks nothing.
   */
  apply(ev: SessionEvent): void;
}

interface Item {
  request: PermissionRequest;
  node: HTMLLIElement;
  /** The view's generation when the item was added: a list asked for earlier may not hold it yet. */
  added: number;
  /** Decided while this page's own answer was on its way: removed once that answer's outcome is shown. */
  gone?: boolean;
}

/** How long a refused answer's "Already answered" stays in view after the request is gone. */
const refusedLingerMs = 5000;

/**
 * The approvals box of the session panel: each pending request with its tool,
 * its input, the agent's reason and when the workspace's default decision
 * applies, an optional message, "Remember" and the Approve / Deny buttons.
 * Requests arrive live from the watch stream's PERMISSION_REQUEST entries; a
 * PERMISSION_DECISION entry (the agent has the answer) removes one; the
 * server's list (ListPendingPermissionRequests) is the truth after a state
 * change, so a request decided elsewhere (another device, the timeout) leaves.
 */
export function createApprovalsView(options: ApprovalsViewOptions): ApprovalsView {
  const { api, container, list } = options;
  let target: { workspaceId: string; sessionId: string } | undefined;
  let items = new Map<string, Item>();
  let generation = 0;
  let listing: AbortController | undefined;
  let reconcileTimer: ReturnType<typeof setTimeout> | undefined;

  function sync(): void {
    container.hidden = items.size === 0;
  }

  function setStatus(item: Item, state: string, text: string): void {
    item.node.dataset.state = state;
    const status = item.node.querySelector<HTMLElement>('[data-testid="approval-status"]');
    if (status) status.textContent = text;
  }

  function answer(item: Item, decision: "allow" | "deny"): void {
    const current = target;
    if (!current) return;
    const node = item.node;
    const buttons = [...node.querySelectorAll("button")];
    const message = node.querySelector<HTMLInputElement>('[data-testid="approval-message"]')?.value.trim() ?? "";
    const remember = decision === "allow" && (node.querySelector<HTMLInputElement>('[data-testid="approval-remember"]')?.checked ?? false);
    for (const b of buttons) b.disabled = true;
    setStatus(item, "sending", decision === "allow" ? "Approving…" : "Denying…");
    api.permissions
      .answerPermissionRequest(
        { ...current, requestId: item.request.requestId, decision, remember, ...(message ? { message } : {}) },
        { timeoutMs: 15_000 },
      )
      .then(
        () => {
          setStatus(item, decision === "allow" ? "allowed" : "denied", `${decision === "allow" ? "Approved" : "Denied"} — waiting for the agent`);
          if (item.gone) drop(item);
        },
        (error: unknown) => {
          if (ConnectError.from(error).code === Code.FailedPrecondition) {
            // Someone answered first: that answer stands, and this page says so before the request leaves.
            setStatus(item, "decided", `Already answered: ${ConnectError.from(error).rawMessage}`);
            if (item.gone) setTimeout(() => drop(item), refusedLingerMs);
            else reconcileSoon();
            return;
          }
          setStatus(item, "error", `Not answered: ${describeError(error)}`);
          for (const b of buttons) b.disabled = false;
          if (item.gone) drop(item);
        },
      );
  }

  function render(req: PermissionRequest): Item {
    const allow = element("button", { type: "button", class: "allow", "data-testid": "approval-allow" }, "Approve");
    const deny = element("button", { type: "button", class: "deny", "data-testid": "approval-deny" }, "Deny");
    const node = element(
      "li",
      { class: "approval", "data-testid": "approval", "data-request-id": req.requestId, "data-tool": req.toolName, "data-state": "pending" },
      element(
        "div",
        { class: "approval-head" },
        element("span", { class: "mono", "data-testid": "approval-tool" }, toolCallText(req.toolName, req.input)),
        req.expireTime ? element("span", { class: "approval-expiry" }, `default decision at ${timeText(req.expireTime)}`) : undefined,
      ),
      req.reason ? element("p", { class: "approval-reason" }, req.reason) : undefined,
      element("pre", { class: "tool-input", "data-testid": "approval-input" }, JSON.stringify(req.input ?? {}, null, 2)),
      element("input", { type: "text", class: "approval-message", "data-testid": "approval-message", placeholder: "Message to the agent (optional)", maxlength: 4096 }),
      element(
        "div",
        { class: "approval-actions" },
        allow,
        deny,
        element("label", { class: "approval-remember" }, element("input", { type: "checkbox", "data-testid": "approval-remember" }), " Remember for this session"),
      ),
      element("p", { class: "approval-status", "data-testid": "approval-status", role: "status" }),
    );
    const item: Item = { request: req, node, added: generation };
    allow.addEventListener("click", () => answer(item, "allow"));
    deny.addEventListener("click", () => answer(item, "deny"));
    return item;
  }

  function add(req: PermissionRequest): void {
    if (!req.requestId || items.has(req.requestId)) return;
    const item = render(req);
    items.set(req.requestId, item);
    list.append(item.node);
    sync();
  }

  function drop(item: Item): void {
    item.node.remove();
    if (items.get(item.request.requestId) === item) items.delete(item.request.requestId);
    sync();
  }

  function remove(requestId: string): void {
    const item = items.get(requestId);
    if (!item) return;
    const state = item.node.dataset.state;
    if (item.gone) return;
    // An answer of this page still on its way: its outcome is shown first; a refused one stays a moment.
    if (state === "sending") item.gone = true;
    else if (state === "decided") {
      item.gone = true;
      setTimeout(() => drop(item), refusedLingerMs);
    } else drop(item);
  }

  function reconcile(): void {
    const current = target;
    if (!current) return;
    listing?.abort();
    const controller = new AbortController();
    listing = controller;
    const asked = ++generation;
    api.permissions.listPendingPermissionRequests(current, { signal: controller.signal, timeoutMs: 10_000 }).then(
      (res) => {
        if (target !== current || controller.signal.aborted) return;
        const pending = new Set(res.requests.map((r) => r.requestId));
        // Gone from the server's list: decided (here, elsewhere or by the timeout). Added since the call: kept.
        for (const [id, item] of items) if (!pending.has(id) && item.added < asked) remove(id);
        for (const r of res.requests) add(r);
      },
      (error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) options.onError(`Listing permission requests: ${describeError(error)}`);
      },
    );
  }

  /** One reconcile after a burst of entries (a watch replaying history), not one per entry. */
  function reconcileSoon(): void {
    clearTimeout(reconcileTimer);
    reconcileTimer = setTimeout(reconcile, 250);
  }

  function show(next: { workspaceId: string; sessionId: string } | undefined): void {
    listing?.abort();
    clearTimeout(reconcileTimer);
    target = next;
    items = new Map();
    list.replaceChildren();
    sync();
    reconcile();
  }

  return {
    show,
    apply(ev) {
      if (ev.type === SessionEventType.HEARTBEAT) return;
      if (ev.type !== SessionEventType.TRANSCRIPT) {
        if (isTerminal(ev.state)) show(undefined);
        else reconcileSoon();
        return;
      }
      const entry = ev.entry;
      const req = entry?.permissionRequest;
      if (!entry || !req) return;
      if (entry.kind === TranscriptEntryKind.PERMISSION_REQUEST) {
        add({ ...req, toolName: req.toolName || entry.toolName, input: req.input ?? entry.toolInput });
        reconcileSoon();
      } else if (entry.kind === TranscriptEntryKind.PERMISSION_DECISION) {
        remove(req.requestId);
      }
    },
  };
}
