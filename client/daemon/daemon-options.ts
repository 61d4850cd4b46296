import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Transport } from "@connectrpc/connect";
import type { AgentBins } from "./agent-argv.js";
import type { PermissionServerCommand } from "./permission/prepare-permission-dir.js";
import type { TranscriptLimits } from "./transcript/create-transcript-forwarder.js";

/** Options of runDaemon. */
export interface DaemonOptions {
  /**
   * Base URL of the server, for example `https://ws.example.com:8443`, or
   * several (replicas sharing one database), tried in order: the daemon
   * starts with the first and, when its command stream fails (connection
   * refused or reset, `unavailable`, …), moves to the next one at once,
   * wrapping around after the last, with the usual backoff only after every
   * server failed in a row. Acknowledgements and state
   * reports go to the server the daemon is on.
   */
  server: string | readonly string[];
  /** Machine token, sent as `Authorization: Bearer <token>`. */
  token: string;
  /** Workspace id -> directory the workspace's agents run in. */
  workspaceRoots: ReadonlyMap<string, string>;
  /** Agent executables; default defaultAgentBins() (WSCTL_CLAUDE_BIN / WSCTL_CODEX_BIN). */
  bins?: AgentBins;
  /** Wire protocol, over HTTP/2; default "grpc". */
  protocol?: "grpc" | "connect";
  /** Transport to use for every server instead of one built from `server` and `protocol` (tests). */
  transport?: Transport;
  /** Reported in SubscribeRequest; default "unknown". */
  version?: string;
  /** Reported in SubscribeRequest; default os.hostname(). */
  hostname?: string;
  /**
   * `SubscribeRequest.instance_id`: who this run of the daemon is, the same on
   * every reconnect, so the server tells it from another process holding the
   * same token. Default: a new random UUID per runDaemon call.
   */
  instanceId?: string;
  /**
   * Names of `WSCTL_*` variables the agents may still see; every other
   * `WSCTL_*` variable (the machine token among them) is left out of their
   * environment (see agentEnvironment). Default none.
   */
  agentEnvAllow?: readonly string[];
  /** Startup window of an agent (see spawnAgent); default 1500 ms. */
  startupWindowMs?: number;
  /**
   * Reconnect delays: jittered exponential from `initialMs` (default 500) to
   * `maxMs` (default 30 000); back to `initialMs` after a stream that delivered
   * a command or stayed open `resetAfterMs` (default 10 000).
   */
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /**
   * Directory of the daemon's state: `agents/<session_id>.json` per running
   * agent and the agents' `.stdout.log` / `.stderr.log`, so a restarted daemon
   * finds the agents still running, and `commands/<hash of the token>.jsonl`,
   * the command journal (see createCommandJournal), so a command is carried
   * out at most once. Default defaultDaemonStateDir():
   * `$WSCTL_DAEMON_STATE_DIR`, else `$XDG_STATE_HOME/wsctl/daemon`, else
   * `~/.local/state/wsctl/daemon`. Entries are tagged with a hash of the
   * first `server` and `token` (entries tagged with any of the servers are
   * adopted), so daemons of other machines sharing it are left alone.
   */
  stateDir?: string;
  /** Bounds of the command journal; default the newest 10 000 command ids, none older than 7 days. */
  journal?: { maxEntries?: number; maxAgeMs?: number };
  /** Liveness poll of agents adopted from an earlier run; default 500 ms. */
  adoptedPollMs?: number;
  /**
   * Caps of the transcripts forwarded to the server (per entry and per
   * session, see TranscriptLimits); default 64 KiB and 8 MiB.
   */
  transcriptLimits?: TranscriptLimits;
  /** How often the agents' stdout (and their permission requests) are read for their transcripts; default 100 ms. */
  transcriptPollMs?: number;
  /**
   * Permission relay (launches whose policy relays requests, see
   * permission/create-permission-relays.ts): `server`, how agents start the
   * permission server (default this wsctl: defaultPermissionServerCommand());
   * `fallbackMs`, how long past a request's expiry the daemon applies the
   * default decision itself when the server has not decided (default 30 000).
   */
  permissions?: { server?: PermissionServerCommand; fallbackMs?: number };
  /**
   * When false (the default) the agents are stopped on shutdown: SIGTERM,
   * SIGKILL after `shutdownGraceMs` (default 3000), and their exit is
   * reported. When true they are left running (their output goes to files,
   * they are in their own process groups) and the next daemon started with
   * the same `stateDir` adopts them.
   */
  keepAgentsOnExit?: boolean;
  shutdownGraceMs?: number;
  /** Stops the daemon; runDaemon resolves once it has shut down. */
  signal: AbortSignal;
  /** One line per event; default writes to stderr. */
  log?: (line: string) => void;
  /**
   * Told each change of the daemon's own state: `connecting` (subscribing),
   * `connected` (the command stream delivered its first message),
   * `reconnecting` (with the delay and the last error), `stopping`, `stopped`.
   * Default: nothing.
   */
  onState?: (state: DaemonState) => void;
  /**
   * Runs the dispatch of each command (`run` starts it), e.g. inside the
   * command's request id and trace context so what it does is logged and
   * traced as part of the same launch. Default: calls `run`.
   */
  aroundCommand?: (command: DaemonCommand, run: () => void) => void;
}

/** What `onState` is told. */
export type DaemonState =
  | { state: "connecting"; server: string }
  | { state: "connected"; server: string }
  | { state: "reconnecting"; server: string; delayMs: number; error?: string }
  | { state: "stopping" }
  | { state: "stopped" };
