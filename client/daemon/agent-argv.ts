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
}

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
 * `-- <prompt>`.
 * codex: `exec --json`, then `--model <m>`, `-c model_reasoning_effort=<t>`,
 * `resume <id>`, `-- <prompt>`.
 */
export function buildAgentArgv(input: AgentLaunchSpec): { bin: string; args: string[] } {
  const args: string[] = [];
  if (input.provider === "claude_code") {
    args.push("--print", "--output-format", "stream-json", "--verbose");
    if (input.streamInput) args.push("--input-format", "stream-json");
    if (given(input.resumeSessionId)) args.push("--resume", input.resumeSessionId);
    else args.push("--session-id", input.agentSessionId);
    if (given(input.model)) args.push("--model", input.model);
    if (given(input.prompt) && !input.streamInput) args.push("--", input.prompt);
    return { bin: input.bins.claude, args };
  }
  args.push("exec", "--json");
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
