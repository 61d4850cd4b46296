import type { Machine } from "../../gen/workspaces/v1/machine_service_pb.js";
import { createApi } from "./create-api.js";
import { describeError } from "./describe-error.js";
import { byId, element } from "./element.js";
import { createLaunchForm } from "./create-launch-form.js";
import { createMachinesView } from "./create-machines-view.js";
import { createSessionsView } from "./create-sessions-view.js";
import { sessionIdFromHash } from "./session-row.js";

// The page served by `wsctl serve` at `/`: machines, the workspace's sessions
// (live over WatchWorkspaceSessions, paged, each at its own #session=ID
// address) and a launch form, all over Connect-web on the page's own origin.

const tokenKey = "workspace-sessions.token";
const workspaceKey = "workspace-sessions.workspace";
/** Machines have no stream of their own: their list is read again this often. */
const machinesRefreshMs = 10_000;
/** Sessions per page: `?page_size=N` (1-500), else 20. */
const pageSize = (() => {
  const n = Number(new URLSearchParams(location.search).get("page_size"));
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : 20;
})();

let token = localStorage.getItem(tokenKey) ?? "";
const api = createApi({ baseUrl: location.origin, token: () => token });

const tokenInput = byId<HTMLInputElement>("token-input");
const connection = byId<HTMLElement>("connection");
const banner = byId<HTMLElement>("error-banner");
const workspaceInput = byId<HTMLInputElement>("launch-workspace");
const machineSelect = byId<HTMLSelectElement>("launch-machine");
const sessionsTitle = byId<HTMLElement>("sessions-title");
tokenInput.value = token;
workspaceInput.value = localStorage.getItem(workspaceKey) ?? "";

/** Shows (or with undefined, clears) the page's error line; `source` says which error a success may clear. */
function showError(message: string | undefined, source = ""): void {
  banner.hidden = !message;
  banner.textContent = message ?? "";
  banner.dataset.source = source;
}

function setConnection(state: "idle" | "ok" | "error", text: string): void {
  connection.dataset.state = state;
  connection.textContent = text;
}

let machines: Machine[] = [];

/** Workspace choices come from the machines the token sees; the machine list follows the workspace. */
function fillChoices(): void {
  const workspaces = [...new Set(machines.map((m) => m.workspaceId))];
  byId("workspace-options").replaceChildren(...workspaces.map((w) => element("option", { value: w })));
  if (!workspaceInput.value && workspaces[0]) workspaceInput.value = workspaces[0];
  const chosen = machineSelect.value;
  const options = machines
    .filter((m) => m.workspaceId === workspaceInput.value)
    .map((m) =>
      element("option", { value: m.machineId }, `${m.machineId}${m.isDefault ? " (default)" : ""} — ${m.online ? "online" : "offline"}`),
    );
  machineSelect.replaceChildren(element("option", { value: "" }, "workspace default"), ...options);
  machineSelect.value = options.some((o) => o.value === chosen) ? chosen : "";
}

const machinesView = createMachinesView({
  api,
  list: byId("machines-list"),
  empty: byId("machines-empty"),
  onMachines(list) {
    machines = list;
    fillChoices();
  },
});

const sessionsView = createSessionsView({
  api,
  list: byId("sessions-list"),
  empty: byId("sessions-empty"),
  pager: { newer: byId<HTMLButtonElement>("sessions-newer"), older: byId<HTMLButtonElement>("sessions-older"), label: byId("sessions-page") },
  pageSize,
  detail: byId("session-detail"),
  detailTitle: byId("session-detail-title"),
  fields: byId("session-fields"),
  events: byId("session-events"),
  transcript: byId("session-transcript"),
  approvals: { container: byId("session-approvals"), list: byId("session-approvals-list") },
  message: {
    form: byId<HTMLFormElement>("session-send"),
    input: byId<HTMLTextAreaElement>("session-message"),
    status: byId("session-send-status"),
  },
  stop: byId<HTMLButtonElement>("session-stop"),
  stopConfirm: {
    box: byId("session-stop-confirm"),
    yes: byId<HTMLButtonElement>("session-stop-yes"),
    no: byId<HTMLButtonElement>("session-stop-no"),
  },
  onError: (message) => showError(message),
});

createLaunchForm({
  api,
  form: byId<HTMLFormElement>("launch-form"),
  events: byId("launch-events"),
  status: byId("launch-status"),
  error: byId("launch-error"),
  onEvent: (workspaceId, ev) => sessionsView.apply(workspaceId, ev),
  onAccepted: (workspaceId, sessionId) => sessionsView.select(workspaceId, sessionId),
});

let refreshing: AbortController | undefined;

/** Selects the session the address names (`#session=ID`), if any. */
function selectFromAddress(): void {
  const sessionId = sessionIdFromHash(location.hash);
  if (sessionId) sessionsView.select(workspaceInput.value.trim(), sessionId);
}

/** Lists machines again and follows the chosen workspace's sessions (a no-op when it already does); the first error is shown. */
async function refresh(): Promise<void> {
  if (!token) {
    setConnection("idle", "no token");
    return;
  }
  refreshing?.abort();
  const controller = new AbortController();
  refreshing = controller;
  try {
    await machinesView.refresh(controller.signal);
    const workspace = workspaceInput.value.trim();
    sessionsTitle.textContent = workspace ? `Sessions in ${workspace}` : "Sessions";
    sessionsView.watch(workspace);
    selectFromAddress();
    setConnection("ok", "connected");
    if (banner.dataset.source === "refresh") showError(undefined);
  } catch (error) {
    if (controller.signal.aborted) return;
    setConnection("error", "not connected");
    showError(describeError(error), "refresh");
  }
}

byId<HTMLFormElement>("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token = tokenInput.value.trim();
  if (token) localStorage.setItem(tokenKey, token);
  else localStorage.removeItem(tokenKey);
  sessionsView.reset();
  showError(undefined);
  void refresh();
});

workspaceInput.addEventListener("change", () => {
  localStorage.setItem(workspaceKey, workspaceInput.value.trim());
  fillChoices();
  void refresh();
});

window.addEventListener("hashchange", selectFromAddress);
setInterval(() => {
  if (!document.hidden) void refresh();
}, machinesRefreshMs);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) void refresh();
});
void refresh();
