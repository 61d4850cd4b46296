import type { PermissionMode } from "./permission/permission-policy.js";

/** Provider whose CLI is started. */
export type AgentProvider = "claude_code" | "codex";

/** Executables of the providers' CLIs (a name looked up on PATH, or a path). */
export interface AgentBins {
  claude: string;
  codex: string;
}

/** Everything that decides an agent's command line. */
export interface AgentLaunchSpec {
  provider: AgentProvider;
  bins: AgentBins;
  /** Model name; omitted for the provider's default. */
  model?: string;
  /** Reasoning effort (codex only). */
  thinking?: string;
  /** Initial prompt; always placed after `--` so it is never read as a flag. */
  prompt?: string;
  /** Provider session id to resume. */
  resumeSessionId?: string;
  /** Session id the daemon generated for a new claude session (a UUID). */
  agentSessionId: string;
  /**
   * claude_code: read user events from stdin (`--input-format stream-json`),
   * the prompt being the first of them, so follow-up messages can be written
   * there; the prompt is then not on the command line.
   */
  streamInput?: boolean;
  /**
   * The session's permission mode; absent for a launch without a policy (the
   * argv is then exactly as before permissions existed). With claude_code in
   * `plan`, `default` or `accept_edits`, `mcpConfigPath` names the
   * `--mcp-config` file of the daemon's permission server.
   */
  permission?: { mode: PermissionMode; mcpConfigPath?: string };
}

/** The name Claude Code knows the daemon's permission tool by: server `wsctl`, tool `approve`. */
export const permissionPromptTool = "mcp__wsctl__approve";

/** Claude Code's `--permission-mode` value of each mode. */
const claudeModes: Record<PermissionMode, string> = {
  plan: "plan",
  default: "default",
  accept_edits: "acceptEdits",
  bypass_permissions: "bypassPermissions",
};

/** Codex `exec` has no way to relay a request: each mode is the closest sandbox and approval setting. */
const codexModes: Record<PermissionMode, string[]> = {
  plan: ["--sandbox", "read-only"],
  default: ["--sandbox", "workspace-write"],
  accept_edits: ["--full-auto"],
  bypass_permissions: ["--dangerously-bypass-approvals-and-sandbox"],
};

function given(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

/**
 * The executable and argv for an agent. Pure: the result is passed to
 * `spawn(bin, args)` directly, never through a shell.
 *
 * claude_code: `--print --output-format stream-json --verbose`, with
 * `streamInput` `--input-format stream-json`, then `--resume <id>` or
 * `--session-id <agentSessionId>`, `--model <m>`, and without `streamInput`
 * `--permission-mode <m>` (with the permission server's `--mcp-config <file>
 * --permission-prompt-tool mcp__wsctl__approve` unless `bypassPermissions`),
 * and without `streamInput` `-- <prompt>`.
 * codex: `exec --json`, then the mode's sandbox flags, `--model <m>`,
 * `-c model_reasoning_effort=<t>`, `resume <id>`, `-- <prompt>`.
 */
export function buildAgentArgv(input: AgentLaunchSpec): { bin: string; args: string[] } {
  const args: string[] = [];
  if (input.provider === "claude_code") {
    args.push("--print", "--output-format", "stream-json", "--verbose");
    if (input.streamInput) args.push("--input-format", "stream-json");
    if (given(input.resumeSessionId)) args.push("--resume", input.resumeSessionId);
    else args.push("--session-id", input.agentSessionId);
    if (given(input.model)) args.push("--model", input.model);
    if (input.permission !== undefined) {
      args.push("--permission-mode", claudeModes[input.permission.mode]);
      if (input.permission.mode !== "bypass_permissions" && given(input.permission.mcpConfigPath)) {
        args.push("--mcp-config", input.permission.mcpConfigPath, "--permission-prompt-tool", permissionPromptTool);
      }
    }
    if (given(input.prompt) && !input.streamInput) args.push("--", input.prompt);
    return { bin: input.bins.claude, args };
  }
  args.push("exec", "--json");
  if (input.permission !== undefined) args.push(...codexModes[input.permission.mode]);
  if (given(input.model)) args.push("--model", input.model);
  if (given(input.thinking)) args.push("-c", `model_reasoning_effort=${input.thinking}`);
  if (given(input.resumeSessionId)) args.push("resume", input.resumeSessionId);
  if (given(input.prompt)) args.push("--", input.prompt);
  return { bin: input.bins.codex, args };
}

/**
 * The providers' executables from `WSCTL_CLAUDE_BIN` / `WSCTL_CODEX_BIN`
 * (empty counts as unset), defaulting to `claude` and `codex` on PATH.
 */
export function defaultAgentBins(env: NodeJS.ProcessEnv = process.env): AgentBins {
  return {
    claude: env.WSCTL_CLAUDE_BIN || "claude",
    codex: env.WSCTL_CODEX_BIN || "codex",
  };
}
