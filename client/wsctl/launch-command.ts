import { parseArgs } from "node:util";
import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
  LaunchWorkspaceSessionResponseSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, runClientVerb } from "./client-options.js";
import { formatLaunchResult } from "./format-event.js";
import { UsageError } from "./usage-error.js";
import { followEvents } from "./follow-events.js";

const usage = `Usage: wsctl launch --workspace W [options]

Launches a coding-agent session and prints the daemon's acknowledgement:
"status: ok" or "status: error", then one "field: value" line per payload field.
Exits 0 when the status is ok. With --follow, prints one line per state change
until the session ends, and exits 0 only when the agent exited with code 0.

Options:
  --workspace W           workspace to launch in (required)
  --machine M             machine to launch on (default: the workspace's default machine)
  --prompt TEXT           initial prompt for the agent
  --worktree NAME         git worktree and branch to run in
  --provider P            claude_code (default) or codex
  --model NAME            model of the provider, for example haiku or gpt-5.1-codex-max
  --thinking LEVEL        codex reasoning effort: minimal, low, medium, high or xhigh
  --mode MODE             interaction mode (agent)
  --language TAG          voice language as a BCP 47 tag, for example en-US
  --resume ID             provider session id to resume (resume_session_id)
  --user-session ID       launch an existing session of the workspace again (user_session_id)
  --agent-session ID      attach to an agent session the daemon already runs (agent_session_id)
  --metadata JSON         metadata object stored with the session
  --idempotency-key KEY   a retry with the same key returns the first result
  --follow                stream the launch and follow the session until it ends

${clientOptionsHelp}

Examples:
  wsctl launch --workspace acme --prompt "fix the failing tests"
  wsctl launch --workspace acme --machine laptop --worktree feature/login --model haiku
  wsctl launch --workspace acme --provider codex --model gpt-5.1-codex-max --thinking high --follow
  wsctl launch --workspace acme --json | jq -r .payload.session_id
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  machine: { type: "string" },
  prompt: { type: "string" },
  worktree: { type: "string" },
  provider: { type: "string" },
  model: { type: "string" },
  thinking: { type: "string" },
  mode: { type: "string" },
  language: { type: "string" },
  resume: { type: "string" },
  "user-session": { type: "string" },
  "agent-session": { type: "string" },
  metadata: { type: "string" },
  "idempotency-key": { type: "string" },
  follow: { type: "boolean", default: false },
} as const;

/** The launch flags `launchRequestFromFlags` reads. */
export interface LaunchFlags {
  workspace?: string | undefined;
  machine?: string | undefined;
  prompt?: string | undefined;
  worktree?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  thinking?: string | undefined;
  mode?: string | undefined;
  language?: string | undefined;
  resume?: string | undefined;
  "user-session"?: string | undefined;
  "agent-session"?: string | undefined;
  metadata?: string | undefined;
}

const providers = ["claude_code", "codex"];

function parseMetadata(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError("--metadata must be a JSON object, for example '{\"ticket\":\"ENG-1\"}'");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError("--metadata must be a JSON object, for example '{\"ticket\":\"ENG-1\"}'");
  }
  return value as JsonObject;
}

/**
 * The launch request the flags describe. `--model` goes to the chosen
 * provider's settings (claude_code unless `--provider codex`); `--thinking`
 * needs `--provider codex`. Field values are validated by the server. Throws UsageError.
 */
export function launchRequestFromFlags(flags: LaunchFlags): LaunchWorkspaceSessionRequest {
  if (!flags.workspace) throw new UsageError("--workspace W is required");
  if (flags.provider !== undefined && !providers.includes(flags.provider)) {
    throw new UsageError(`--provider must be claude_code or codex, not ${JSON.stringify(flags.provider)}`);
  }
  const provider = flags.provider ?? "claude_code";
  if (flags.thinking !== undefined && provider !== "codex") {
    throw new UsageError("--thinking applies to codex only: add --provider codex");
  }
  const code = {
    ...(flags.mode !== undefined ? { mode: flags.mode } : {}),
    ...(flags.provider !== undefined ? { defaultProvider: flags.provider } : {}),
    ...(flags.model !== undefined || flags.thinking !== undefined
      ? {
          providers:
            provider === "codex"
              ? { codex: { model: flags.model, thinking: flags.thinking } }
              : { claudeCode: { model: flags.model } },
        }
      : {}),
  };
  const hasCode = Object.keys(code).length > 0;
  return create(LaunchWorkspaceSessionRequestSchema, {
    workspaceId: flags.workspace,
    machineId: flags.machine,
    initialPrompt: flags.prompt,
    worktreeName: flags.worktree,
    resumeSessionId: flags.resume,
    userSessionId: flags["user-session"],
    agentSessionId: flags["agent-session"],
    metadata: flags.metadata !== undefined ? parseMetadata(flags.metadata) : undefined,
    sessionSettings:
      hasCode || flags.language !== undefined
        ? {
            code: hasCode ? code : undefined,
            voice: flags.language !== undefined ? { language: flags.language } : undefined,
          }
        : undefined,
  });
}

/** `wsctl launch`: launches a session, and with `--follow` follows it until it ends. */
export async function runLaunch(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("launch", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const { client, workspaceId } = clientFromOptions(values, io);
    const request = launchRequestFromFlags({ ...values, workspace: workspaceId });
    const key = values["idempotency-key"];
    const callOptions = {
      signal: io.signal,
      ...(key !== undefined ? { headers: { "Idempotency-Key": key } } : {}),
    };
    const where = `${request.workspaceId} on ${request.machineId ?? "the default machine"}`;
    if (values.follow) {
      progress.update(`launching in ${where}…`);
      const events = client.sessions.launchWorkspaceSessionStream(request, callOptions);
      return followEvents(events, io, { verb: "launch", json: values.json, progress });
    }
    progress.update(`launching in ${where}, waiting for the daemon…`);
    const res = await client.sessions.launchWorkspaceSession(request, callOptions);
    progress.clear();
    if (values.json) printJson(io, toJson(LaunchWorkspaceSessionResponseSchema, res, apiJsonOptions));
    else io.stdout(`${formatLaunchResult(res).join("\n")}\n`);
    return res.status === "ok" ? exitCode.ok : exitCode.failure;
  });
}
