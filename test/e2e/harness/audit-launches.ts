import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isTerminalEvent, isTerminalState } from "../../../server/sessions/session-transitions.js";
import type { SessionRecord, Store } from "../../../server/store/store.js";
import type { LaunchOutcome } from "./protocol-clients.js";

/** The one answer of a launch call: `ok` (an `ok` acknowledgement) or the error's code (an RPC error, or an `error` acknowledgement's `payload.error.code`). */
export interface LaunchAnswer {
  /** The launch's tag: in its `metadata.launch_tag` and at the end of its prompt (`exit:0:MS:<tag>`). */
  tag: string;
  result: string;
  /** From an `ok` answer's payload. */
  sessionId?: string;
  /** An error's message, for the audit's problems. */
  message?: string;
  /** True when the daemon answered (an `error` acknowledgement), not the server. */
  acknowledged?: boolean;
}

export interface AuditOptions {
  /**
   * Accept `error` acknowledgements whatever their code (a daemon that could
   * not start the agent under load says so): they are still checked for a
   * `failed` session and no agent left behind. Default false: only
   * `unavailable` and `deadline_exceeded` are expected errors.
   */
  acceptErrorAcks?: boolean;
}

/** The answer as the audit counts it: `ok`, or the code of the error (an RPC error or an `error` acknowledgement). */
export function launchAnswer(tag: string, outcome: LaunchOutcome): LaunchAnswer {
  if (outcome.kind === "error") return { tag, result: outcome.code, message: outcome.message };
  if (outcome.status === "ok") return { tag, result: "ok", sessionId: String(outcome.payload.session_id) };
  const error = outcome.payload.error as { code?: string; message?: string } | undefined;
  return { tag, result: error?.code ?? "error", acknowledged: true, ...(error?.message ? { message: error.message } : {}) };
}

/** One start of a stand-in agent, as it recorded it. */
export interface AgentStart {
  pid: number;
  argv: string[];
  /** When it started (ms since the epoch). */
  startedAt?: number;
  signals: string[];
  /** Its exit code, when it ended itself (`exit:N:MS`) rather than being stopped. */
  exited?: number;
  /** Prompts and follow-ups the stand-in read as stream-json user events on stdin. */
  messages?: string[];
  /** Set by readAgentStarts when a later process with the same pid moved the record aside: this one has ended. */
  superseded?: boolean;
}

/** What the audit counted, and each broken promise it found. */
export interface LaunchAudit {
  launches: number;
  ok: number;
  /** Answers that were errors, by code. */
  errors: Record<string, number>;
  sessions: number;
  starts: number;
  /** Launches whose agent was started more than once. */
  doubled: number;
  /** Launches answered with an error whose session is not `failed`, or whose agent neither was stopped nor ended itself, or still runs. */
  orphaned: number;
  /** One line per violation; empty when every promise held. */
  problems: string[];
}

/** The tag of a stand-in start: the fourth field of its `exit:CODE:MS:TAG` prompt. */
function tagOf(start: AgentStart): string | undefined {
  // Claude Code reads its prompt as the first stream-json user event; Codex gets it after `--`.
  const dashes = start.argv.indexOf("--");
  const prompt = start.messages?.[0] ?? (dashes >= 0 ? start.argv[dashes + 1] : undefined);
  return prompt?.split(":")[3];
}

/** Every start the stand-in agents recorded in `recordDir`, by tag. */
export function readAgentStarts(recordDir: string): Map<string, AgentStart[]> {
  const byTag = new Map<string, AgentStart[]>();
  for (const file of readdirSync(recordDir)) {
    if (!file.endsWith(".json")) continue;
    const start = JSON.parse(readFileSync(path.join(recordDir, file), "utf8")) as AgentStart;
    if (file !== `${start.pid}.json`) start.superseded = true;
    const tag = tagOf(start);
    if (tag === undefined) continue;
    byTag.set(tag, [...(byTag.get(tag) ?? []), start]);
  }
  return byTag;
}

/** Whether a stand-in agent process still runs (a zombie does not). */
export function isAgentRunning(pid: number): boolean {
  try {
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))) return false;
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("stand-in-agent");
  } catch {
    return false;
  }
}

/** When process `pid` started, in ms since the epoch (from /proc, to the clock tick), or undefined. */
function processStartedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    return bootSeconds * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}

/**
 * Whether the agent of `start` still runs: its pid runs a stand-in, no later
 * stand-in took the pid over, and that process started before the stand-in
 * recorded itself (pids wrap around: another suite's stand-in may hold it now).
 */
export function isStartRunning(start: AgentStart): boolean {
  if (start.superseded === true || !isAgentRunning(start.pid)) return false;
  const startedAt = processStartedAt(start.pid);
  return start.startedAt === undefined || startedAt === undefined || startedAt <= start.startedAt + 1000;
}

/** Every session of the workspace, read page by page. */
export async function listAllSessions(store: Store, workspaceId: string): Promise<SessionRecord[]> {
  const all: SessionRecord[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await store.listSessions({
      workspaceId,
      limit: 200,
      ...(last ? { after: { createdAt: last.createdAt, sessionId: last.sessionId } } : {}),
    });
    all.push(...page);
    if (page.length < 200) return all;
  }
}

/** The launch tag a session was created with. */
export function sessionTag(session: SessionRecord): string | undefined {
  const tag = session.metadata.launch_tag;
  return typeof tag === "string" ? tag : undefined;
}

/**
 * Checks, from the database and the agents' start records, what the callers
 * were told against what happened: an answer per launch, `ok`, `unavailable`
 * or `deadline_exceeded`, and at most one session for it; per session one
 * terminal event; per launch at most one agent start (exactly one for `ok`);
 * and behind every error answer a `failed` session whose agent, if one was
 * started, was stopped (or ended itself first) and runs no more. Sessions are matched to launches by
 * their `metadata.launch_tag`, agent starts by the tag in their prompt.
 */
export async function auditLaunches(
  store: Store,
  workspaceId: string,
  answers: readonly LaunchAnswer[],
  recordDir: string,
  options: AuditOptions = {},
): Promise<LaunchAudit> {
  const problems: string[] = [];
  const tags = new Set(answers.map((a) => a.tag));
  const sessions = new Map<string, SessionRecord>();
  for (const session of await listAllSessions(store, workspaceId)) {
    const tag = sessionTag(session);
    if (tag === undefined || !tags.has(tag)) continue;
    if (sessions.has(tag)) problems.push(`launch ${tag} has two sessions`);
    sessions.set(tag, session);
  }
  const starts = readAgentStarts(recordDir);
  const errors: Record<string, number> = {};
  let ok = 0;
  let doubled = 0;
  let orphaned = 0;
  let startCount = 0;
  for (const answer of answers) {
    const session = sessions.get(answer.tag);
    const started = starts.get(answer.tag) ?? [];
    startCount += started.length;
    if (started.length > 1) {
      doubled++;
      problems.push(`launch ${answer.tag}: its agent was started ${started.length} times`);
    }
    if (session) {
      const events = await store.listSessionEvents(session.sessionId, 0);
      const terminal = events.filter(isTerminalEvent).length;
      if (terminal !== 1 || !isTerminalState(session.state)) {
        const trail = events.map((e) => `${e.type}/${e.state}`).join(" ");
        problems.push(`launch ${answer.tag}: session ${session.sessionId} is ${session.state} with ${terminal} terminal events: ${trail}`);
      }
    }
    if (answer.result === "ok") {
      ok++;
      if (session?.sessionId !== answer.sessionId) problems.push(`launch ${answer.tag}: answered ok for session ${answer.sessionId}, stored ${session?.sessionId}`);
      if (started.length === 0) problems.push(`launch ${answer.tag}: answered ok but no agent started`);
      continue;
    }
    errors[answer.result] = (errors[answer.result] ?? 0) + 1;
    const expected = answer.result === "unavailable" || answer.result === "deadline_exceeded" || (options.acceptErrorAcks === true && answer.acknowledged === true);
    if (!expected) problems.push(`launch ${answer.tag}: answered ${answer.result} (${answer.message ?? ""})`);
    const why: string[] = [];
    if (session && session.state !== "failed") why.push(`its session is ${session.state}`);
    for (const start of started) {
      if (!start.signals.includes("SIGTERM") && start.exited === undefined) why.push(`agent ${start.pid} was never stopped`);
      if (isStartRunning(start)) why.push(`agent ${start.pid} still runs`);
    }
    if (why.length > 0) {
      orphaned++;
      problems.push(`launch ${answer.tag}: answered ${answer.result}, but ${why.join(", ")}`);
    }
  }
  return { launches: answers.length, ok, errors, sessions: sessions.size, starts: startCount, doubled, orphaned, problems };
}
