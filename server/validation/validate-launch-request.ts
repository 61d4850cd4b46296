import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { LaunchWorkspaceSessionRequest } from "../../gen/workspaces/v1/launch_pb.js";
import { badRequest } from "../errors/bad-request.js";
import { checkBcp47 } from "./check-bcp47.js";
import { checkWorktreeName } from "./check-worktree-name.js";
import {
  checkAgentSessionId,
  checkId,
  checkMode,
  checkModel,
  checkPermissionMode,
  checkProvider,
  checkThinking,
  type Mode,
  type RuleSchema,
  type PermissionMode,
  type Provider,
} from "./field-rules.js";
import { addViolation, checkOptional, checkRequired, type ViolationList } from "./violation-list.js";

/** A launch request once validated, with defaults applied. */
export interface LaunchPlan {
  workspaceId: string;
  machineId?: string;
  userSessionId?: string;
  /** `default_provider`, `claude_code` when not given. */
  provider: Provider;
  mode: Mode;
  /** The chosen provider's model; absent for the provider's default. */
  model?: string;
  /** Codex reasoning effort; only with provider `codex`. */
  thinking?: string;
  /** Absent when `initial_prompt` was absent, null or "". */
  prompt?: string;
  worktreeName?: string;
  resumeSessionId?: string;
  agentSessionId?: string;
  language?: string;
  /** `{}` when not given. */
  metadata: JsonObject;
  /** `session_settings.code.permission_mode`; absent for the workspace's default. */
  permissionMode?: PermissionMode;
}

/** Cap on `initial_prompt`, in UTF-8 bytes (64 KiB). */
const MAX_PROMPT_BYTES = 64 * 1024;
/** Cap on `metadata` encoded as JSON, in UTF-8 bytes (16 KiB). */
const MAX_METADATA_BYTES = 16 * 1024;
/** Cap on how deep objects and arrays nest in `metadata`, itself level 1. */
const MAX_METADATA_DEPTH = 16;

/** What `initial_prompt` may be: no NUL (the 64 KiB cap counts UTF-8 bytes, which no JSON Schema keyword does). */
export const promptSchema: RuleSchema = { pattern: "^[^\\u0000]*$" };

const PROMPT_NUL = "must not contain NUL characters";
const METADATA_DEPTH = `must not nest objects and arrays more than ${MAX_METADATA_DEPTH} levels deep`;
const RESUME_WITH_AGENT =
  "must not be combined with resume_session_id: resume_session_id starts a new agent resuming that session, agent_session_id attaches to a running one; send one";
const USER_SESSION_WITH_AGENT =
  "must not be combined with user_session_id: a reused user session resumes its own agent session; send one";

const CODE = "session_settings.code";
const MODE = `${CODE}.mode`;
const DEFAULT_PROVIDER = `${CODE}.default_provider`;
const CLAUDE_CODE_MODEL = `${CODE}.providers.claude_code.model`;
const CODEX_MODEL = `${CODE}.providers.codex.model`;
const CODEX_THINKING = `${CODE}.providers.codex.thinking`;
const PERMISSION_MODE = `${CODE}.permission_mode`;
const LANGUAGE = "session_settings.voice.language";

/**
 * Checks every field of a launch request and returns the normalized launch.
 * Throws `invalid_argument` carrying a `google.rpc.BadRequest` with one
 * violation per problem (field paths in proto names) when anything is wrong.
 */
export function validateLaunchRequest(req: LaunchWorkspaceSessionRequest): LaunchPlan {
  const code = req.sessionSettings?.code;
  const claudeCode = code?.providers?.claudeCode;
  const codex = code?.providers?.codex;
  const language = req.sessionSettings?.voice?.language;

  let v: ViolationList;
  v = checkRequired(v, "workspace_id", req.workspaceId, checkId);
  v = checkOptional(v, "machine_id", req.machineId, checkId);
  v = checkOptional(v, "user_session_id", req.userSessionId, checkId);
  v = checkMetadata(v, req.metadata);
  v = checkPrompt(v, req.initialPrompt);
  v = checkOptional(v, "worktree_name", req.worktreeName, checkWorktreeName);
  v = checkOptional(v, MODE, code?.mode, checkMode);
  v = checkOptional(v, DEFAULT_PROVIDER, code?.defaultProvider, checkProvider);
  v = checkOptional(v, CLAUDE_CODE_MODEL, claudeCode?.model, checkModel);
  v = checkOptional(v, CODEX_MODEL, codex?.model, checkModel);
  v = checkOptional(v, CODEX_THINKING, codex?.thinking, checkThinking);
  v = checkOptional(v, PERMISSION_MODE, code?.permissionMode, checkPermissionMode);
  v = checkOptional(v, LANGUAGE, language, checkBcp47);
  v = checkOptional(v, "resume_session_id", req.resumeSessionId, checkAgentSessionId);
  v = checkOptional(v, "agent_session_id", req.agentSessionId, checkAgentSessionId);
  if (given(req.agentSessionId)) {
    if (given(req.resumeSessionId)) v = addViolation(v, "agent_session_id", RESUME_WITH_AGENT);
    if (given(req.userSessionId)) v = addViolation(v, "agent_session_id", USER_SESSION_WITH_AGENT);
  }
  if (v !== undefined) throw badRequest(v);

  // Checked above: a given provider is one of PROVIDERS.
  const provider = (code?.defaultProvider ?? "claude_code") as Provider;
  const isCodex = provider === "codex";
  const prompt = req.initialPrompt;
  return {
    workspaceId: req.workspaceId,
    machineId: req.machineId,
    userSessionId: req.userSessionId,
    provider,
    mode: "agent",
    model: isCodex ? codex?.model : claudeCode?.model,
    thinking: isCodex ? codex?.thinking : undefined,
    prompt: prompt === "" ? undefined : prompt,
    worktreeName: req.worktreeName,
    resumeSessionId: req.resumeSessionId,
    agentSessionId: req.agentSessionId,
    language,
    metadata: req.metadata ?? {},
    ...(code?.permissionMode !== undefined ? { permissionMode: code.permissionMode as PermissionMode } : {}),
  };
}

function given(value: string | undefined): boolean {
  return value !== undefined && value !== "";
}

function checkPrompt(v: ViolationList, prompt: string | undefined): ViolationList {
  if (prompt === undefined || prompt === "") return v;
  // Counted without encoding (no buffer); a string is at least as many bytes
  // as it has UTF-16 code units, which the cheap check below relies on.
  if (prompt.length * 3 > MAX_PROMPT_BYTES) {
    const bytes = Buffer.byteLength(prompt, "utf8");
    if (bytes > MAX_PROMPT_BYTES) {
      v = addViolation(v, "initial_prompt", `must be at most ${MAX_PROMPT_BYTES} bytes as UTF-8 (64 KiB); got ${bytes}`);
    }
  }
  if (prompt.includes("\0")) v = addViolation(v, "initial_prompt", PROMPT_NUL);
  return v;
}

function checkMetadata(v: ViolationList, metadata: JsonObject | undefined): ViolationList {
  if (metadata === undefined) return v;
  // Depth first: it bounds the recursion JSON.stringify would do.
  if (nestsDeeper(metadata, MAX_METADATA_DEPTH)) return addViolation(v, "metadata", METADATA_DEPTH);
  const bytes = Buffer.byteLength(JSON.stringify(metadata), "utf8");
  if (bytes > MAX_METADATA_BYTES) {
    return addViolation(v, "metadata", `must be at most ${MAX_METADATA_BYTES} bytes as JSON (16 KiB); got ${bytes}`);
  }
  return v;
}

/** Whether objects and arrays in `value` nest more than `levels` deep; stops at the first that does. */
function nestsDeeper(value: JsonValue | undefined, levels: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeper(item, levels - 1)) return true;
    return false;
  }
  for (const key in value) if (nestsDeeper(value[key], levels - 1)) return true;
  return false;
}
