import { AsyncLocalStorage } from "node:async_hooks";
import { context } from "@opentelemetry/api";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { DaemonState } from "../daemon/run-daemon.js";
import { contextFromCarrier, type Logger } from "../../server/start-server.js";
import { type DaemonStatus, writeDaemonStatus } from "./daemon-status-file.js";

export interface DaemonReporterOptions {
  logger: Logger;
  stateDir: string;
  server: string;
  version: string;
  workspaces: string[];
}

/** The hooks of `runDaemon` that make its logs structured and its state visible. */
export interface DaemonReporter {
  /** runDaemon's `log`: each line as a record, with the request id of the command it is about. */
  log(line: string): void;
  /** runDaemon's `onState`: logged, and written to the state directory for `wsctl daemon status`. */
  onState(state: DaemonState): void;
  /** runDaemon's `aroundCommand`: the command runs in its request id and carried trace context. */
  aroundCommand(command: DaemonCommand, run: () => void): void;
  /** Resolves once the last status was written. */
  flushed(): Promise<void>;
}

/** Lines of runDaemon that report trouble. */
const troubled = /failed|refused|could not|cannot|killed/;

export function createDaemonReporter(options: DaemonReporterOptions): DaemonReporter {
  const { logger } = options;
  const scope = new AsyncLocalStorage<{ requestId: string; commandId: string }>();
  const now = () => new Date().toISOString();
  const status: DaemonStatus = {
    pid: process.pid,
    version: options.version,
    server: options.server,
    state: "starting",
    since: now(),
    started_at: now(),
    reconnects: 0,
    commands: {},
    workspaces: options.workspaces,
  };
  let connectedOnce = false;
  let writing = Promise.resolve();
  const save = () => {
    const snapshot = { ...status, commands: { ...status.commands } };
    writing = writing
      .then(() => writeDaemonStatus(options.stateDir, snapshot))
      .catch((error: unknown) => logger.warn({ err: error, state_dir: options.stateDir }, "cannot write the daemon status file"));
  };

  return {
    log(line) {
      const current = scope.getStore();
      const fields = current ? { request_id: current.requestId || undefined, command_id: current.commandId } : {};
      logger[troubled.test(line) ? "warn" : "info"](fields, line.replace(/^daemon: /, ""));
    },
    onState(next) {
      const { state, ...details } = next;
      if (state === "connecting" && connectedOnce) status.reconnects += 1;
      if (state === "connected") connectedOnce = true;
      status.state = state;
      status.since = now();
      if ("server" in next) status.server = next.server;
      if (next.state === "reconnecting") status.last_error = next.error;
      else if (next.state === "connected") delete status.last_error;
      logger[state === "reconnecting" ? "warn" : "info"]({ state, ...details, reconnects: status.reconnects }, "daemon state");
      save();
    },
    aroundCommand(command, run) {
      const kind = command.kind.case ?? "unknown";
      if (kind !== "ping") {
        status.commands[kind] = (status.commands[kind] ?? 0) + 1;
        if (command.requestId) status.last_request_id = command.requestId;
        save();
      }
      const parent = contextFromCarrier(command.traceContext);
      context.with(parent, () =>
        scope.run({ requestId: command.requestId, commandId: command.commandId }, () => {
          if (kind !== "ping") {
            const sessionId = command.kind.case === "launch" || command.kind.case === "stop" ? command.kind.value.sessionId : undefined;
            logger.info({ request_id: command.requestId || undefined, command_id: command.commandId, kind, session_id: sessionId }, "command received");
          }
          run();
        }),
      );
    },
    flushed: () => writing,
  };
}
