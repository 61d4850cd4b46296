import { randomUUID } from "node:crypto";
import { realpath } from "node:fs/promises";
import type { JsonObject } from "@bufbuild/protobuf";
import type { LaunchCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { type AgentBins, type AgentProvider, buildAgentArgv } from "./agent-argv.js";
import { type AgentEntry, type AgentRegistry, agentEntry } from "./create-agent-registry.js";
import type { AgentRecord, AgentTable } from "./create-agent-table.js";
import { DaemonError, toDaemonError } from "./daemon-error.js";
import { checkInsideRoot } from "./check-inside-root.js";
import { checkLaunchDeadline } from "./check-launch-deadline.js";
import { checkWorktreeFree, worktreeInUse } from "./check-worktree-free.js";
import { type EnsuredWorktree, ensureWorktree } from "./ensure-worktree.js";
import { removeWorktree } from "./remove-worktree.js";
import { currentBranch } from "./run-git.js";
import { createCodexConversation } from "./create-codex-conversation.js";
import { agentSessionVariable } from "./find-marked-agent.js";
import { spawnAgent } from "./spawn-agent.js";
import { errnoOrMessage } from "./errno-of.js";
import { createStdinFifo, writeUserEvent } from "./agent-stdin.js";
import type { Transcripts } from "./transcript/create-transcripts.js";
import { inSpan } from "./in-span.js";
import type { PermissionRelays } from "./permission/create-permission-relays.js";
import { sessionPolicyOf } from "./permission/permission-policy.js";
import { type PermissionServerCommand, setUpPermissions } from "./permission/prepare-permission-dir.js";

/** What a command handler acknowledges, and for a launch the agent to report on. */
export interface CommandResult {
  status: "ok" | "error";
  payload: JsonObject;
  /** For an ok launch or attach: the agent whose state is reported for the session. */
  watch?: AgentRecord;
}

/** What handleLaunch needs from the daemon. */
export interface LaunchContext {
  workspaceRoots: ReadonlyMap<string, string>;
  bins: AgentBins;
  agents: AgentTable;
  /** Where each agent's entry and output files are kept. */
  registry: AgentRegistry;
  /** daemonKey() written into the entries. */
  daemonKey: string;
  startupWindowMs?: number;
  /** Environment of the agents; default the daemon's. */
  env?: NodeJS.ProcessEnv;
  /** Clock the launch deadline is checked against; default Date.now. */
  now?: () => number;
  signal?: AbortSignal;
  /** Default: nothing is logged. */
  log?: (line: string) => void;
  /**
   * Where the agents' transcripts are forwarded. With it, Claude Code reads
   * its prompt and follow-up messages as stream-json user events from a FIFO
   * on its stdin; without it, the prompt is on its command line.
   */
  transcripts?: Transcripts;
  /** Relays the permission requests of agents launched with a policy that asks (see setUpPermissions). */
  permissions?: PermissionRelays;
  /** How those agents start the permission server; default defaultPermissionServerCommand(). */
  permissionServer?: PermissionServerCommand;
}

/**
 * Carries out a launch command: resolves the workspace directory, creates or
 * reuses the worktree, then attaches to a running agent (`agent_session_id`)
 * or spawns a new one, its output going to files in the registry's directory.
 * The session's registry entry is written as soon as the agent's process
 * exists, before its startup window. A worktree another running agent works
 * in is refused (`worktree_busy`); the worktree's path is checked to resolve
 * inside the workspace directory again right before the spawn; a worktree
 * this launch created is removed again (with its branch, while nothing was
 * committed on it) when the launch fails. A launch whose `deadline` has passed, on
 * arrival or right before the spawn, starts nothing (`deadline_exceeded`).
 * A launch with a permission policy starts the agent in its mode (see
 * buildAgentArgv), with the daemon's permission server when it relays
 * requests; a mode the daemon does not know is `unsupported_permission_mode`.
 * Never throws: every failure is an `error` result with `error: { code,
 * message }` in the payload.
 */
export function handleLaunch(ctx: LaunchContext, launch: LaunchCommand): Promise<CommandResult> {
  return inSpan("daemon.launch", { "session.id": launch.sessionId, "workspace.id": launch.workspaceId }, () => launchIn(ctx, launch));
}

async function launchIn(ctx: LaunchContext, launch: LaunchCommand): Promise<CommandResult> {
  const request = launch.request;
  const details = { provider: "", model: "", work_dir: "", branch: "" };
  // A worktree this launch created, removed again if the launch fails.
  let created: { repoDir: string; worktree: EnsuredWorktree } | undefined;
  try {
    const provider = providerOf(request?.sessionSettings?.code?.defaultProvider);
    const providers = request?.sessionSettings?.code?.providers;
    const model = (provider === "codex" ? providers?.codex?.model : providers?.claudeCode?.model) ?? "";
    const thinking = provider === "codex" ? providers?.codex?.thinking : undefined;
    details.provider = provider;
    details.model = model;
    const policy = sessionPolicyOf(launch.permission);

    const again = ctx.agents.bySession(launch.sessionId);
    if (again !== undefined && again.agent.exitStatus() === undefined) return okResult(again, false);
    checkLaunchDeadline(launch, "arrival", ctx.now ?? Date.now);

    const workspaceId = launch.workspaceId || request?.workspaceId || "";
    const root = ctx.workspaceRoots.get(workspaceId);
    if (root === undefined) {
      throw new DaemonError(
        "unknown_workspace",
        `this daemon has no directory for workspace "${workspaceId}" (start it with --workspace-root ${workspaceId}=DIR)`,
      );
    }
    details.work_dir = root;

    const attachTo = request?.agentSessionId;
    if (attachTo !== undefined && attachTo !== "") {
      const found = ctx.agents.byAgentSession(attachTo);
      if (found === undefined || found.workspaceId !== workspaceId) {
        throw new DaemonError(
          "agent_session_not_found",
          `no agent with session id "${attachTo}" is running under this daemon for workspace "${workspaceId}"`,
        );
      }
      ctx.agents.attach(launch.sessionId, found);
      await saveEntry(ctx, launch.sessionId, found);
      return okResult(found, true);
    }

    const worktreeName = request?.worktreeName;
    if (worktreeName !== undefined && worktreeName !== "") {
      const worktree = await inSpan("daemon.worktree", { "git.branch": worktreeName }, () =>
        ensureWorktree({ repoDir: root, branch: worktreeName, signal: ctx.signal }),
      );
      if (worktree.created) created = { repoDir: root, worktree };
      details.work_dir = worktree.workDir;
      details.branch = worktree.branch;
      checkWorktreeFree(ctx.agents, worktree.workDir);
    } else {
      details.branch = await currentBranch(root, ctx.signal);
    }

    const resume = request?.resumeSessionId || undefined;
    const generated = provider === "claude_code" ? (resume ?? randomUUID()) : "";
    const streamInput = provider === "claude_code" && ctx.transcripts !== undefined;
    const stdinPath = streamInput ? ctx.registry.sessionFiles(launch.sessionId).stdin : undefined;
    if (stdinPath !== undefined) createStdinFifo(stdinPath);
    const prompt = request?.initialPrompt || undefined;
    const permissionDir = ctx.registry.sessionFiles(launch.sessionId).permissions;
    const permission = policy && setUpPermissions(permissionDir, provider, policy, ctx.permissionServer);
    const { bin, args } = buildAgentArgv({
      ...(permission !== undefined ? { permission } : {}),
      streamInput,
      provider,
      bins: ctx.bins,
      model,
      thinking,
      prompt: request?.initialPrompt,
      resumeSessionId: resume,
      agentSessionId: generated,
    });
    const logs = ctx.registry.logPaths(launch.sessionId);
    checkLaunchDeadline(launch, "spawn", ctx.now ?? Date.now);
    // Checked again right before the spawn: a link planted since git ran must not send the agent elsewhere.
    if (worktreeName !== undefined && worktreeName !== "") await checkInsideRoot(await realpath(root), details.work_dir);
    const startedAt = new Date().toISOString();
    const entry: AgentEntry = {
      session_id: launch.sessionId,
      workspace_id: workspaceId,
      agent_session_id: generated,
      pid: 0,
      start_time: "",
      provider,
      model,
      work_dir: details.work_dir,
      branch: details.branch,
      started_at: startedAt,
      stdout_path: logs.stdout,
      stderr_path: logs.stderr,
      daemon_key: ctx.daemonKey,
      ...(stdinPath !== undefined ? { stdin_path: stdinPath } : {}),
    };
    // On disk before the spawn: a daemon killed at any point after it leaves an entry by which
    // its next run finds the agent (by its pid, or before that by the session in its environment).
    ctx.registry.writeNow(entry);
    const env = { ...(ctx.env ?? process.env), [agentSessionVariable]: launch.sessionId };
    const agent = await inSpan("daemon.spawn", { "agent.provider": provider }, () => spawnAgent({
      bin,
      args,
      cwd: details.work_dir,
      env,
      startupWindowMs: ctx.startupWindowMs,
      stdoutPath: logs.stdout,
      stderrPath: logs.stderr,
      proofOfLife: provider,
      ...(stdinPath !== undefined ? { stdinPath } : {}),
      // Recorded at once, so a daemon that dies during the startup window leaves the agent findable.
      onSpawned: (pid, startTime) => {
        try {
          ctx.registry.writeNow({ ...entry, pid, start_time: startTime });
        } catch (error) {
          ctx.log?.(`daemon: session ${launch.sessionId}: could not record its agent's pid (${(error as Error).message})`);
        }
        // The prompt is the first user event: Claude Code starts (and says `init`) once it has it.
        if (stdinPath !== undefined && prompt !== undefined) {
          writeUserEvent(stdinPath, prompt).catch((error: unknown) => {
            ctx.log?.(`daemon: session ${launch.sessionId}: could not give the agent its prompt (${(error as Error).message})`);
          });
        }
      },
    })).catch(async (error: unknown) => {
      await ctx.registry.remove(launch.sessionId, { logs: true }).catch(() => undefined);
      throw error;
    });
    const running =
      provider === "codex" && ctx.transcripts !== undefined
        ? createCodexConversation({
            first: agent,
            startTurn: (threadId, text) =>
              spawnAgent({
                ...buildAgentArgv({ provider, bins: ctx.bins, model, thinking, prompt: text, resumeSessionId: threadId, agentSessionId: "", ...(permission ? { permission } : {}) }),
                cwd: details.work_dir,
                env: ctx.env,
                startupWindowMs: ctx.startupWindowMs,
                proofOfLife: "codex",
                stdoutPath: logs.stdout,
                stderrPath: logs.stderr,
                appendOutput: true,
              }),
            onTurn: () => void saveEntry(ctx, launch.sessionId, record),
            log: ctx.log,
          })
        : agent;
    const record: AgentRecord = {
      agent: running,
      provider,
      model,
      workspaceId,
      workDir: details.work_dir,
      branch: details.branch,
      agentSessionId: provider === "claude_code" ? generated : (agent.agentSessionId ?? resume ?? ""),
      sessionIds: new Set(),
      stopRequested: false,
      startedAt,
      adopted: false,
      ...(stdinPath !== undefined ? { stdinPath } : {}),
    };
    ctx.agents.add(launch.sessionId, record);
    // A new run of the session (a reuse too): its transcript starts over, as the server's does.
    await ctx.transcripts?.open(launch.sessionId, { provider, stdoutPath: logs.stdout, fresh: true, ...(prompt ? { initialPrompt: prompt } : {}) });
    if (permission?.mcpConfigPath !== undefined) ctx.permissions?.open(launch.sessionId, workspaceId);
    if (agent.exitStatus() === undefined) await saveEntry(ctx, launch.sessionId, record);
    return okResult(record, true);
  } catch (error) {
    const failure = toDaemonError(error);
    if (created !== undefined && !worktreeInUse(ctx.agents, created.worktree.workDir)) {
      const { repoDir, worktree } = created;
      const refused = await removeWorktree({
        repoDir,
        workDir: worktree.workDir,
        branch: worktree.branch,
        ...(worktree.createdBranchAt !== undefined ? { createdBranchAt: worktree.createdBranchAt } : {}),
        force: true,
      });
      if (refused !== undefined) ctx.log?.(`daemon: session ${launch.sessionId}: could not remove the worktree of its failed launch (${refused})`);
    }
    return { status: "error", payload: { ...details, error: { code: failure.code, message: failure.message } } };
  }
}

/** Writes the session's registry entry; a failure is logged, the agent runs on regardless. */
async function saveEntry(ctx: LaunchContext, sessionId: string, record: AgentRecord): Promise<void> {
  try {
    await ctx.registry.write(agentEntry(sessionId, record, ctx.daemonKey));
  } catch (error) {
    ctx.log?.(`daemon: session ${sessionId}: could not save its agent entry (${errnoOrMessage(error)}); a restarted daemon will not find it`);
  }
}

function providerOf(value: string | undefined): AgentProvider {
  if (value === undefined || value === "" || value === "claude_code") return "claude_code";
  if (value === "codex") return "codex";
  throw new DaemonError("unknown_provider", `provider "${value}" is not supported: use claude_code or codex`);
}

/** The acknowledgement of a launch served by `record`; `watch` when its state is to be reported. */
export function okResult(record: AgentRecord, watch: boolean): CommandResult {
  return {
    status: "ok",
    payload: {
      agent_session_id: record.agentSessionId || record.agent.agentSessionId || "",
      provider: record.provider,
      model: record.model,
      work_dir: record.workDir,
      branch: record.branch,
      pid: record.agent.pid,
    },
    watch: watch ? record : undefined,
  };
}
