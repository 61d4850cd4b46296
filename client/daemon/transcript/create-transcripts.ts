import { rm } from "node:fs/promises";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { AgentProvider } from "../agent-argv.js";
import { createTranscriptForwarder, type TranscriptForwarder, type TranscriptLimits } from "./create-transcript-forwarder.js";
import { createTranscriptJournal } from "./create-transcript-journal.js";
import { type DaemonEntry, entryMessage } from "./transcript-entry.js";

/** The daemon's transcripts, one forwarder per session whose agent it runs. */
export interface Transcripts {
  /**
   * Starts forwarding a session's transcript from its agent's stdout: a new
   * one begins with `initialPrompt` as its first USER entry; one with a
   * journal (an agent adopted after a restart) resumes where it stood;
   * `fresh` drops what a journal of an earlier run of the session holds.
   */
  open(sessionId: string, agent: { provider: AgentProvider; stdoutPath: string; initialPrompt?: string; fresh?: boolean }): Promise<void>;
  /** Adds a message sent to the agent; its offset, or undefined when the session has no transcript here. */
  appendUser(sessionId: string, text: string): Promise<number | undefined>;
  /** Adds an entry of the daemon's own (a permission request or decision); its offset, or undefined as above. */
  append(sessionId: string, entry: DaemonEntry): Promise<number | undefined>;
  /** Reads the session's stdout to its end and delivers everything (see TranscriptForwarder.finish), then forgets it. */
  finish(sessionId: string): Promise<void>;
  /** Sends what waits, for every session (the server is reachable again). */
  kickAll(): void;
  /** Stops every forwarder (the daemon leaves its agents running). */
  stopAll(): void;
}

export interface TranscriptsOptions {
  client: Client<typeof DaemonService>;
  callOptions: CallOptions;
  /** Where a session's journal and sent offset live. */
  paths: (sessionId: string) => { journal: string; sent: string };
  limits?: TranscriptLimits;
  pollMs?: number;
  log: (line: string) => void;
  signal: AbortSignal;
}

export function createTranscripts(options: TranscriptsOptions): Transcripts {
  const { client, callOptions, log, signal } = options;
  const forwarders = new Map<string, TranscriptForwarder>();
  return {
    async open(sessionId, agent) {
      if (forwarders.has(sessionId)) return;
      const paths = options.paths(sessionId);
      if (agent.fresh) await Promise.all([rm(paths.journal, { force: true }), rm(paths.sent, { force: true })]);
      const forwarder = createTranscriptForwarder({
        sessionId,
        provider: agent.provider,
        stdoutPath: agent.stdoutPath,
        journal: createTranscriptJournal(paths),
        async send(fromOffset, entries) {
          const request = { sessionId, fromOffset: BigInt(fromOffset), entries: entries.map((e, i) => entryMessage(e, fromOffset + i)) };
          return Number((await client.appendTranscript(request, callOptions)).nextOffset);
        },
        limits: options.limits,
        pollMs: options.pollMs,
        log,
        signal,
      });
      forwarders.set(sessionId, forwarder);
      try {
        await forwarder.start(agent.initialPrompt);
      } catch (error) {
        forwarders.delete(sessionId);
        log(`daemon: session ${sessionId}: transcript not forwarded (${(error as Error).message})`);
      }
    },
    async appendUser(sessionId, text) {
      return forwarders.get(sessionId)?.appendUser(text);
    },
    async append(sessionId, entry) {
      return forwarders.get(sessionId)?.append(entry);
    },
    async finish(sessionId) {
      const forwarder = forwarders.get(sessionId);
      if (forwarder === undefined) return;
      await forwarder.finish();
      forwarders.delete(sessionId);
    },
    kickAll() {
      for (const forwarder of forwarders.values()) forwarder.kick();
    },
    stopAll() {
      for (const forwarder of forwarders.values()) forwarder.stop();
    },
  };
}
