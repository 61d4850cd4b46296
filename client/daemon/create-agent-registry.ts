import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import type { AgentProvider } from "./agent-argv.js";
import type { AgentRecord } from "./create-agent-table.js";
import { isErrno } from "./errno-of.js";

/**
 * One running agent's session as kept on disk (`agents/<session_id>.json`), so
 * a restarted daemon finds the agents it started. Field names are snake_case:
 * the file is for people and other tools too.
 */
export interface AgentEntry {
  session_id: string;
  workspace_id: string;
  /** The agent's own session id; "" when unknown. */
  agent_session_id: string;
  /** The agent's pid; 0 in the entry written before its spawn, until the spawn returns. */
  pid: number;
  /** processStartTime(pid) when launched; "" when unknown (no /proc). */
  start_time: string;
  provider: AgentProvider;
  model: string;
  work_dir: string;
  branch: string;
  /** ISO 8601. */
  started_at: string;
  /** Files the agent's stdout and stderr go to. */
  stdout_path: string;
  stderr_path: string;
  /** daemonKey() of the daemon that launched it: other daemons leave it alone. */
  daemon_key: string;
  /** The FIFO the agent reads stream-json user events from (Claude Code); absent when its stdin is /dev/null. */
  stdin_path?: string;
  /** Set once the agent's end is known but not yet reported to the server. */
  exit?: RecordedExit;
}

/** An agent's end, as reported with ReportSessionState. */
export interface RecordedExit {
  state: "exited" | "failed";
  /** Absent when unknown. */
  exit_code?: number;
  message: string;
}

/** The daemon's on-disk list of agents, one JSON file per session. */
export interface AgentRegistry {
  /** `<stateDir>/agents`. */
  readonly dir: string;
  /** Creates the directory (mode 0700). */
  init(): Promise<void>;
  /** Where the agent of `sessionId` writes its stdout and stderr. */
  logPaths(sessionId: string): { stdout: string; stderr: string };
  /**
   * The session's transcript journal and sent offset, the FIFO a stream-json
   * agent reads its stdin from, and the directory of its permission requests
   * (see permission/permission-files.ts).
   */
  sessionFiles(sessionId: string): { journal: string; sent: string; stdin: string; permissions: string };
  /** Writes (or replaces) the entry of `entry.session_id` atomically. */
  write(entry: AgentEntry): Promise<void>;
  /**
   * Writes the entry atomically and fsynced before returning, synchronously:
   * for what must be on disk before the next step (an agent's spawn). Not
   * ordered with queued `write`s; use it before any for the session.
   */
  writeNow(entry: AgentEntry): void;
  /** Removes the entry of `sessionId` and, with `logs`, the log, transcript, stdin and permission files named after it. */
  remove(sessionId: string, options?: { logs?: boolean }): Promise<void>;
  /** Every readable entry; unreadable or malformed files are skipped (and logged). */
  load(): Promise<AgentEntry[]>;
}

/**
 * The default state directory: `$WSCTL_DAEMON_STATE_DIR`, else
 * `$XDG_STATE_HOME/wsctl/daemon`, else `~/.local/state/wsctl/daemon`.
 */
export function defaultDaemonStateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.WSCTL_DAEMON_STATE_DIR) return env.WSCTL_DAEMON_STATE_DIR;
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, "wsctl", "daemon");
  return path.join(home, ".local", "state", "wsctl", "daemon");
}

/**
 * Identifies a daemon by its server and machine token (a hash: the token is
 * never written), so daemons of different machines sharing a state directory
 * never adopt each other's agents.
 */
export function daemonKey(server: string, token: string): string {
  return createHash("sha256").update(`${server}\n${token}`).digest("hex").slice(0, 16);
}

export function createAgentRegistry(options: { stateDir: string; log?: (line: string) => void }): AgentRegistry {
  const dir = path.join(options.stateDir, "agents");
  const log = options.log ?? (() => undefined);
  // Operations on one session's entry run in order: a removal must not be
  // undone by an earlier write whose rename lands later.
  const chains = new Map<string, Promise<unknown>>();
  let tempCounter = 0;

  const inOrder = <T>(sessionId: string, task: () => Promise<T>): Promise<T> => {
    const previous = chains.get(sessionId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    chains.set(sessionId, settled);
    void settled.then(() => {
      if (chains.get(sessionId) === settled) chains.delete(sessionId);
    });
    return next;
  };
  const entryPath = (sessionId: string) => path.join(dir, `${fileStem(sessionId)}.json`);
  const logPaths = (sessionId: string) => {
    const stem = path.join(dir, fileStem(sessionId));
    return { stdout: `${stem}.stdout.log`, stderr: `${stem}.stderr.log` };
  };

  const sessionFiles = (sessionId: string) => {
    const stem = path.join(dir, fileStem(sessionId));
    return { journal: `${stem}.transcript.jsonl`, sent: `${stem}.transcript.sent`, stdin: `${stem}.stdin`, permissions: `${stem}.permissions` };
  };

  return {
    dir,
    sessionFiles,
    async init() {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    },
    logPaths,
    writeNow(entry) {
      const file = entryPath(entry.session_id);
      const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
      const fd = openSync(temp, "w", 0o600);
      try {
        writeSync(fd, `${JSON.stringify(entry, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(temp, file);
      } catch (error) {
        rmSync(temp, { force: true });
        throw error;
      }
    },
    write(entry) {
      return inOrder(entry.session_id, async () => {
        const file = entryPath(entry.session_id);
        const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
        await writeFile(temp, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
        try {
          await rename(temp, file);
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
      });
    },
    remove(sessionId, removeOptions = {}) {
      return inOrder(sessionId, async () => {
        // The files first, the entry last: a daemon that dies in between finds the entry and
        // removes it again, where the other order would leave files nothing names.
        if (removeOptions.logs) {
          const { permissions, ...files } = sessionFiles(sessionId);
          await Promise.all([
            ...[...Object.values(logPaths(sessionId)), ...Object.values(files)].map((file) => rm(file, { force: true })),
            rm(permissions, { force: true, recursive: true }),
          ]);
        }
        await rm(entryPath(sessionId), { force: true });
      });
    },
    async load() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (isErrno(error, "ENOENT")) return [];
        throw error;
      }
      const entries: AgentEntry[] = [];
      for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
        try {
          const entry = parseEntry(JSON.parse(await readFile(path.join(dir, name), "utf8")));
          if (entry !== undefined) entries.push(entry);
          else log(`daemon: ignoring malformed agent entry ${name}`);
        } catch (error) {
          log(`daemon: ignoring unreadable agent entry ${name}: ${(error as Error).message}`);
        }
      }
      return entries;
    },
  };
}

/** The registry entry of `sessionId`, served by `record`. */
export function agentEntry(sessionId: string, record: AgentRecord, key: string): AgentEntry {
  return {
    session_id: sessionId,
    workspace_id: record.workspaceId,
    agent_session_id: record.agentSessionId || record.agent.agentSessionId || "",
    pid: record.agent.pid,
    start_time: record.agent.startTime,
    provider: record.provider,
    model: record.model,
    work_dir: record.workDir,
    branch: record.branch,
    started_at: record.startedAt,
    stdout_path: record.agent.stdoutPath,
    stderr_path: record.agent.stderrPath,
    daemon_key: key,
    ...(record.stdinPath ? { stdin_path: record.stdinPath } : {}),
  };
}

/** A file name stem for a session id: the id itself when it is safe, else a hash. */
function fileStem(sessionId: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(sessionId)) return sessionId;
  return `id-${createHash("sha256").update(sessionId).digest("hex")}`;
}

/** An AgentEntry when `value` has the shape of one. */
function parseEntry(value: unknown): AgentEntry | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const strings = [
    "session_id",
    "workspace_id",
    "agent_session_id",
    "start_time",
    "model",
    "work_dir",
    "branch",
    "started_at",
    "stdout_path",
    "stderr_path",
    "daemon_key",
  ];
  if (strings.some((key) => typeof v[key] !== "string") || v.session_id === "") return undefined;
  // pid 0: written before the spawn, the agent not yet known (see findMarkedAgent).
  if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid < 0) return undefined;
  if (v.provider !== "claude_code" && v.provider !== "codex") return undefined;
  let exit: RecordedExit | undefined;
  if (v.exit !== undefined) {
    const e = v.exit as Record<string, unknown> | null;
    if (typeof e !== "object" || e === null || (e.state !== "exited" && e.state !== "failed")) return undefined;
    exit = {
      state: e.state,
      message: typeof e.message === "string" ? e.message : "",
      ...(typeof e.exit_code === "number" ? { exit_code: e.exit_code } : {}),
    };
  }
  const entry = { ...(v as unknown as AgentEntry) };
  delete entry.exit;
  return exit !== undefined ? { ...entry, exit } : entry;
}
