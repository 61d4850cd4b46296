import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { SessionRecord, SessionStateName, Store } from "../store/store.js";
import type { DaemonAck } from "../hub/daemon-hub.js";
import type { SessionEventBus } from "./session-event-bus.js";
import { isTerminalState } from "./session-state-names.js";

/**
 * Moves sessions through their states. Every change updates the session row and
 * appends one event to its history, so streams, Get and List always agree.
 */
export interface SessionLifecycle {
  /** The launch command is on the daemon's stream. */
  dispatched(session: SessionRecord): Promise<void>;
  /** The daemon acknowledged the launch (in time or late). Returns the launch response. */
  acknowledged(session: SessionRecord, ack: DaemonAck): Promise<LaunchResult>;
  /** The launch failed before any acknowledgement (e.g. no answer in time). */
  failed(session: SessionRecord, message: string): Promise<void>;
  /** The daemon reported the agent's state. */
  reported(session: SessionRecord, report: { state: "running" | "exited" | "failed"; exitCode?: number; message: string; pid: number }): Promise<void>;
  /** The machine's daemon disconnected: its live sessions become unknown. */
  machineOffline(machineId: string): Promise<void>;
  /** The machine's daemon (re)subscribed reporting the sessions it still runs. */
  machineOnline(machineId: string, running: readonly { sessionId: string; pid: number; agentSessionId: string }[]): Promise<void>;
}

/** The `{status, payload}` a launch returns. */
export interface LaunchResult {
  status: string;
  payload: JsonObject;
}

/** Builds the launch response: our ids first, then what the daemon reported. */
export function launchResult(session: SessionRecord, ack: DaemonAck): LaunchResult {
  const payload: JsonObject = {
    session_id: session.sessionId,
    workspace_id: session.workspaceId,
    machine_id: session.machineId,
  };
  for (const [key, value] of Object.entries(ack.payload)) {
    if (key in payload) continue;
    payload[key] = value as JsonValue;
  }
  return { status: ack.status, payload };
}

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function errorMessageOf(payload: JsonObject): string {
  const error = payload.error;
  if (error && typeof error === "object" && !Array.isArray(error)) {
    const message = str(error.message);
    const code = str(error.code);
    if (message) return code ? `${code}: ${message}` : message;
  }
  return "the daemon reported an error";
}

export function createSessionLifecycle(options: { store: Store; events: SessionEventBus; now?: () => number }): SessionLifecycle {
  const { store, events } = options;
  const now = options.now ?? Date.now;

  async function transition(
    session: SessionRecord,
    type: string,
    state: SessionStateName,
    patch: Partial<SessionRecord> = {},
    extra: { ackJson?: string; exitCode?: number; message?: string } = {},
  ) {
    const time = now();
    await store.updateSession(session.sessionId, { ...patch, state, updatedAt: time });
    await events.append({
      sessionId: session.sessionId,
      type,
      state,
      machineId: session.machineId,
      ackJson: extra.ackJson ?? "",
      exitCode: extra.exitCode,
      message: extra.message ?? "",
      now: time,
    });
  }

  return {
    async dispatched(session) {
      await transition(session, "dispatched", "dispatched");
    },
    async acknowledged(session, ack) {
      const result = launchResult(session, ack);
      const ackJson = JSON.stringify(result);
      const p = ack.payload;
      const ok = ack.status === "ok";
      const patch: Partial<SessionRecord> = {
        ackJson,
        agentSessionId: str(p.agent_session_id) ?? session.agentSessionId,
        provider: str(p.provider) ?? session.provider,
        model: str(p.model) ?? session.model,
        workDir: str(p.work_dir) ?? session.workDir,
        branch: str(p.branch) ?? session.branch,
        pid: typeof p.pid === "number" ? p.pid : session.pid,
        errorMessage: ok ? "" : errorMessageOf(p),
      };
      // A late acknowledgement after a report (or after the deadline marked the
      // session failed) is recorded, but never moves a finished agent back.
      const current = (await store.getSessionById(session.sessionId)) ?? session;
      const state: SessionStateName =
        current.state === "running" || current.state === "exited" ? current.state : ok ? "running" : "failed";
      await transition(current, "acknowledged", state, patch, { ackJson, message: ok ? "" : patch.errorMessage });
      if (!ok && current.state !== "failed") await transition(current, "failed", "failed", {}, { message: patch.errorMessage });
      return result;
    },
    async failed(session, message) {
      await transition(session, "failed", "failed", { errorMessage: message }, { message });
    },
    async reported(session, report) {
      const current = (await store.getSessionById(session.sessionId)) ?? session;
      if (isTerminalState(current.state) && report.state === "running") return;
      if (report.state === "running") {
        await transition(current, "running", "running", report.pid ? { pid: report.pid } : {}, { message: report.message });
      } else if (report.state === "exited") {
        await transition(current, "exited", "exited", { exitCode: report.exitCode, pid: 0 }, { exitCode: report.exitCode, message: report.message });
      } else {
        await transition(current, "failed", "failed", { errorMessage: report.message, exitCode: report.exitCode, pid: 0 }, {
          exitCode: report.exitCode,
          message: report.message,
        });
      }
    },
    async machineOffline(machineId) {
      for (const session of await store.listSessionsOnMachine(machineId, ["running", "dispatched"])) {
        await transition(session, "unknown", "unknown", {}, { message: `machine ${machineId} went offline` });
      }
    },
    async machineOnline(machineId, running) {
      const alive = new Map(running.map((r) => [r.sessionId, r]));
      for (const session of await store.listSessionsOnMachine(machineId, ["unknown", "running"])) {
        const r = alive.get(session.sessionId);
        if (r) {
          if (session.state !== "running") {
            await transition(session, "running", "running", { pid: r.pid || session.pid }, { message: "daemon reconnected" });
          }
        } else {
          await transition(session, "failed", "failed", { errorMessage: "the agent was gone when the daemon reconnected" }, {
            message: "the agent was gone when the daemon reconnected",
          });
        }
      }
    },
  };
}
