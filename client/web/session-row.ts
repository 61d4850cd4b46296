import type { Session } from "../../gen/workspaces/v1/session_pb.js";
import { dateTimeText, isoText, stateName } from "./describe-event.js";
import { element } from "./element.js";

/** The page's address of a session: `#session=ID`, a link to open, share or bookmark. */
export function sessionHref(sessionId: string): string {
  return `#session=${encodeURIComponent(sessionId)}`;
}

/** The session id in a `#session=ID` address, or undefined. */
export function sessionIdFromHash(hash: string): string | undefined {
  const match = /^#session=([^&]+)$/.exec(hash);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** A cell with its column's name, which the narrow layout shows beside the value. */
function cell(label: string, attrs: Record<string, string | undefined>, ...children: (Node | string)[]): HTMLTableCellElement {
  return element("td", { "data-label": label, ...attrs }, ...children);
}

/** A date in a `<time>`: local date and time shown, the exact instant in `datetime` and the tooltip. */
function when(ts: Session["createTime"], testId: string): HTMLTimeElement | string {
  const iso = isoText(ts);
  return iso ? element("time", { datetime: iso, title: iso, "data-testid": testId }, dateTimeText(ts)) : "";
}

/**
 * One row of the sessions table: state, the session's link (`#session=ID`,
 * its id shortened), machine, provider and model, branch, started and
 * updated dates. `choose` runs on a click or Enter anywhere in the row.
 */
export function sessionRow(s: Session, selected: boolean, choose: () => void): HTMLTableRowElement {
  const state = stateName(s.state);
  const link = element("a", { href: sessionHref(s.sessionId), class: "mono", title: s.sessionId, "data-testid": "session-link" }, s.sessionId.slice(0, 8));
  const tr = element(
    "tr",
    { class: selected ? "selected" : undefined, tabindex: 0, "data-testid": "session-row", "data-session-id": s.sessionId, "data-state": state },
    cell("State", {}, element("span", { class: `pill state-${state}`, "data-testid": "session-state" }, state)),
    cell("Session", {}, link),
    cell("Machine", {}, s.machineId),
    cell("Provider", {}, [s.provider, s.model].filter(Boolean).join(" · ")),
    cell("Branch", { class: "mono" }, s.branch),
    cell("Started", {}, when(s.createTime, "session-created")),
    cell("Updated", {}, when(s.updateTime, "session-updated")),
  );
  tr.addEventListener("click", (e) => {
    // The link changes the address; the hash change selects the session.
    if ((e.target as Element).closest("a")) return;
    choose();
  });
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter") choose();
  });
  return tr;
}
