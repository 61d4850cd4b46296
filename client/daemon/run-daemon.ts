import { createHash, randomUUID } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { type DaemonCommand, DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { defaultAgentBins } from "./agent-argv.js";
import type { DaemonOptions } from "./daemon-options.js";
import { agentEnvironment } from "./agent-environment.js";
import { createAgentRegistry, daemonKey, defaultDaemonStateDir } from "./create-agent-registry.js";
import { createAgentTable } from "./create-agent-table.js";
import { createBackoff, sleep } from "./create-backoff.js";
import { isTransient } from "./call-with-retry.js";
import { createCommandDispatcher } from "./create-command-dispatcher.js";
import { commandJournalFile, createCommandJournal } from "./create-command-journal.js";
import { createDaemonTransport } from "./create-daemon-transport.js";
import { createFailoverTransport } from "./create-failover-transport.js";
import { createReportQueue } from "./create-report-queue.js";
import { createReportStream } from "./create-report-stream.js";
import { restoreAgents } from "./restore-agents.js";
import { createTranscripts } from "./transcript/create-transcripts.js";
import { errnoOrMessage } from "./errno-of.js";
import { createPermissionRelays } from "./permission/create-permission-relays.js";

export type { DaemonOptions, DaemonState } from "./daemon-options.js";

/**
 * Runs the daemon of a machine until `options.signal` aborts: keeps a
 * DaemonService.Subscribe stream open (reconnecting with jittered exponential
 * backoff), carries out each command and acknowledges it, and reports the
 * state of the agents it started; acknowledgements and reports go on one
 * StreamReports stream (unary calls to a server without it: see
 * createReportStream).
 *
 * At start it adopts the agents an earlier run left running (listed in the
 * state directory), lists them in `SubscribeRequest.running_sessions` and
 * reports their exit; entries whose agent ended meanwhile are reported once.
 * Reports the server could not take are kept and sent on every subscription
 * until delivered. Every command is carried out at most once per command id,
 * across reconnects and restarts (see createCommandDispatcher). With several
 * servers it fails over between them (see DaemonOptions.server). Rejects only
 * when the state directory or the command journal in it cannot be used.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { signal } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const servers = typeof options.server === "string" ? [options.server] : [...options.server];
  if (servers.length === 0) throw new Error("daemon: no server given");
  const failover = createFailoverTransport({
    servers,
    connect: (server) => options.transport ?? createDaemonTransport(server, options.protocol ?? "grpc"),
  });
  const client = createClient(DaemonService, failover.transport);
  const headers = { Authorization: `Bearer ${options.token}` };
  const agents = createAgentTable();
  const stateDir = options.stateDir ?? defaultDaemonStateDir();
  const registry = createAgentRegistry({ stateDir, log });
  try {
    await registry.init();
  } catch (error) {
    throw new Error(`daemon: cannot use the state directory ${stateDir} (${errnoOrMessage(error)})`);
  }
  const key = daemonKey(servers[0]!, options.token);
  const journal = createCommandJournal({
    file: commandJournalFile(stateDir, options.token),
    maxEntries: options.journal?.maxEntries,
    maxAgeMs: options.journal?.maxAgeMs,
    log,
  });
  try {
    await journal.open();
  } catch (error) {
    throw new Error(`daemon: cannot use the command journal ${journal.file} (${(error as Error).message})`);
  }
  const instanceId = options.instanceId ?? randomUUID();
  // The id proves reconnects are this run's: logged only as the fingerprint the server logs too.
  log(`daemon: instance ${createHash("sha256").update(instanceId).digest("hex").slice(0, 8)}`);
  const callOptions = { headers, timeoutMs: 10_000 };
  const reportStream = createReportStream({ client, callOptions, log });
  const reports = createReportQueue({ reportStream, log, signal });
  const transcripts = createTranscripts({
    client,
    callOptions,
    paths: (sessionId) => registry.sessionFiles(sessionId),
    limits: options.transcriptLimits,
    pollMs: options.transcriptPollMs,
    log,
    signal,
  });
  const permissions = createPermissionRelays({
    dirOf: (sessionId) => registry.sessionFiles(sessionId).permissions,
    transcripts,
    pollMs: options.transcriptPollMs,
    fallbackMs: options.permissions?.fallbackMs,
    log,
  });
  const dispatcher = createCommandDispatcher({
    reportStream,
    agents,
    registry,
    reports,
    journal,
    log,
    signal,
    launch: {
      workspaceRoots: options.workspaceRoots,
      bins: options.bins ?? defaultAgentBins(),
      agents,
      registry,
      daemonKey: key,
      env: agentEnvironment(process.env, options.agentEnvAllow ?? []),
      startupWindowMs: options.startupWindowMs,
      signal,
      log,
      transcripts,
      permissions,
      ...(options.permissions?.server !== undefined ? { permissionServer: options.permissions.server } : {}),
    },
  });
  const daemonKeys = servers.map((server) => daemonKey(server, options.token));
  const restored = await restoreAgents({ registry, daemonKeys, agents, log, pollMs: options.adoptedPollMs });
  for (const { sessionId, record } of restored.adopted) dispatcher.adopt(sessionId, record);
  for (const entry of restored.ended) dispatcher.reportEnded(entry);
  const backoff = createBackoff({ initialMs: options.backoff?.initialMs, maxMs: options.backoff?.maxMs });
  const resetAfterMs = options.backoff?.resetAfterMs ?? 10_000;
  const onState = options.onState ?? (() => {});
  const around = options.aroundCommand ?? ((_command: DaemonCommand, run: () => void) => run());

  while (!signal.aborted) {
    const openedAt = Date.now();
    let delivered = false;
    let delay: number | undefined;
    let lastError: string | undefined;
    try {
      log(`daemon: subscribing to ${failover.current() || "server"}`);
      onState({ state: "connecting", server: failover.current() });
      const request = {
        daemonVersion: options.version ?? "unknown",
        hostname: options.hostname ?? osHostname(),
        runningSessions: agents.running(),
        // Not lost: their end is reported once the stream is up (kept reports are flushed below).
        endedSessions: dispatcher.unreportedEnds(),
        instanceId,
      };
      // Acknowledgements and reports follow the stream to where it goes now.
      reportStream.reconnect();
      // Kept reports and waiting transcript entries go out as soon as the server is reachable again.
      void reports.flush();
      transcripts.kickAll();
      for await (const command of client.subscribe(request, { headers, signal })) {
        if (!delivered) {
          log("daemon: command stream open");
          onState({ state: "connected", server: failover.current() });
        }
        if (!delivered && reports.pending() > 0) void reports.flush();
        if (!delivered) transcripts.kickAll();
        delivered = true;
        around(command, () => dispatcher.dispatch(command));
      }
      if (signal.aborted) break;
      log("daemon: command stream ended");
    } catch (error) {
      if (signal.aborted) break;
      const failure = ConnectError.from(error);
      lastError = `${Code[failure.code]}: ${failure.rawMessage}`;
      if (failure.code === Code.Unauthenticated || failure.code === Code.PermissionDenied) {
        log(`daemon: the server refused the machine token (${Code[failure.code]}): ${failure.rawMessage}`);
        delay = backoff.maxMs;
      } else if (failure.code === Code.AlreadyExists) {
        // Another process with this token holds the machine; it takes over only once that stream has died.
        log(`daemon: the server keeps the machine for another daemon instance: ${failure.rawMessage}`);
      } else {
        log(`daemon: command stream failed (${Code[failure.code]}): ${failure.rawMessage}`);
        if (servers.length > 1 && isTransient(failure.code)) {
          log(`daemon: failing over to ${failover.next()}`);
          // A server that may be up is tried at once; the backoff comes after a round of them all.
          if (!failover.roundOver()) delay = 0;
        }
      }
    }
    if (delivered) failover.reset();
    if (delivered || Date.now() - openedAt >= resetAfterMs) backoff.reset();
    delay ??= backoff.next();
    log(`daemon: reconnecting in ${delay} ms`);
    onState({ state: "reconnecting", server: failover.current(), delayMs: delay, ...(lastError ? { error: lastError } : {}) });
    await sleep(delay, signal);
  }

  log("daemon: shutting down");
  onState({ state: "stopping" });
  await dispatcher.drain();
  await journal.close();
  if (options.keepAgentsOnExit) {
    dispatcher.abandon();
    reportStream.end();
    for (const record of agents.records()) record.agent.release();
    log(`daemon: leaving ${agents.records().length} agent(s) running (state in ${stateDir})`);
    onState({ state: "stopped" });
    return;
  }
  const graceMs = options.shutdownGraceMs ?? 3000;
  await Promise.all(
    agents.records().map((record) => {
      record.stopRequested = true;
      return record.agent.stop(graceMs);
    }),
  );
  await dispatcher.drainReports();
  reportStream.end();
  log("daemon: stopped");
  onState({ state: "stopped" });
}
