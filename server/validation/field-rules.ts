/**
 * Reusable checks for single request fields. Each takes the value and returns
 * a description of what is wrong (naming the allowed pattern or values), or
 * `undefined` when the value is fine. Descriptions are module constants, so a
 * check allocates nothing, and every pattern is compiled once at load.
 *
 * Emptiness is the caller's concern (required vs. optional fields answer it
 * differently); the checks themselves reject "" with their pattern description.
 *
 * Beside each check, its JSON Schema (`…Schema`), built from the same pattern
 * or list, for the OpenAPI document (`fieldSchemas`).
 */

/** The JSON Schema keywords a field rule adds to a string's or integer's schema. */
export interface RuleSchema {
  pattern?: string;
  enum?: readonly string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID_RULE =
  "must be 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";

/** Ids of workspaces, machines and sessions: 1-64 of `[A-Za-z0-9][A-Za-z0-9._-]*`. */
export function checkId(value: string): string | undefined {
  return ID_PATTERN.test(value) ? undefined : ID_RULE;
}

/** What `checkId` accepts. */
export const idSchema: RuleSchema = { pattern: ID_PATTERN.source, minLength: 1, maxLength: 64 };

const AGENT_SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const AGENT_SESSION_ID_RULE =
  "must be 1-128 characters of letters, digits, '.', '_', ':' and '-', starting with a letter or digit";

/**
 * A coding agent's own session id (`resume_session_id`, `agent_session_id`):
 * 1-128 of `[A-Za-z0-9][A-Za-z0-9._:-]*`. It ends up in the agent's argv, so it
 * can never start with `-` and be read as a flag.
 */
export function checkAgentSessionId(value: string): string | undefined {
  return AGENT_SESSION_ID_PATTERN.test(value) ? undefined : AGENT_SESSION_ID_RULE;
}

/** What `checkAgentSessionId` accepts. */
export const agentSessionIdSchema: RuleSchema = { pattern: AGENT_SESSION_ID_PATTERN.source, minLength: 1, maxLength: 128 };

const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/[\]-]{0,99}$/;
const MODEL_RULE =
  "must be 1-100 characters of letters, digits, '.', '_', ':', '/', '-', '[' and ']', starting with a letter or digit";

/** A model name or alias, e.g. `haiku` or `gpt-5.1-codex-max`. */
export function checkModel(value: string): string | undefined {
  return MODEL_PATTERN.test(value) ? undefined : MODEL_RULE;
}

/** What `checkModel` accepts. */
export const modelSchema: RuleSchema = { pattern: MODEL_PATTERN.source, minLength: 1, maxLength: 100 };

/** Interaction modes. */
export const MODES = ["agent"] as const;
export type Mode = (typeof MODES)[number];
const MODE_RULE = `must be one of: ${MODES.join(", ")}`;

/** `session_settings.code.mode`. */
export function checkMode(value: string): string | undefined {
  return value === "agent" ? undefined : MODE_RULE;
}

/** What `checkMode` accepts. */
export const modeSchema: RuleSchema = { enum: MODES };

/** Providers whose CLI the daemon can start. */
export const PROVIDERS = ["claude_code", "codex"] as const;
export type Provider = (typeof PROVIDERS)[number];
const PROVIDER_RULE = `must be one of: ${PROVIDERS.join(", ")}`;

/** `session_settings.code.default_provider`. */
export function checkProvider(value: string): string | undefined {
  return value === "claude_code" || value === "codex" ? undefined : PROVIDER_RULE;
}

/** What `checkProvider` accepts. */
export const providerSchema: RuleSchema = { enum: PROVIDERS };

/** Codex reasoning efforts. */
export const THINKING_LEVELS = ["minimal", "low", "medium", "high", "xhigh"] as const;
const THINKING_SET: ReadonlySet<string> = new Set(THINKING_LEVELS);
const THINKING_RULE = `must be one of: ${THINKING_LEVELS.join(", ")}`;

/** `session_settings.code.providers.codex.thinking`. */
export function checkThinking(value: string): string | undefined {
  return THINKING_SET.has(value) ? undefined : THINKING_RULE;
}

/** What `checkThinking` accepts. */
export const thinkingSchema: RuleSchema = { enum: THINKING_LEVELS };

/** Permission modes, from the most restricted to the least: the order a workspace's ceiling is compared in. */
export const PERMISSION_MODES = ["plan", "default", "accept_edits", "bypass_permissions"] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];
const PERMISSION_MODE_SET: ReadonlySet<string> = new Set(PERMISSION_MODES);
const PERMISSION_MODE_RULE = `must be one of: ${PERMISSION_MODES.join(", ")}`;

/** What `checkPermissionMode` accepts. */
export const permissionModeSchema: RuleSchema = { enum: PERMISSION_MODES };

/** `session_settings.code.permission_mode`, and a workspace's default mode and ceiling. */
export function checkPermissionMode(value: string): string | undefined {
  return PERMISSION_MODE_SET.has(value) ? undefined : PERMISSION_MODE_RULE;
}

/** Decisions on a permission request. */
export const PERMISSION_DECISIONS = ["allow", "deny"] as const;
const DECISION_RULE = `must be one of: ${PERMISSION_DECISIONS.join(", ")}`;

/** What `checkPermissionDecision` accepts. */
export const permissionDecisionSchema: RuleSchema = { enum: PERMISSION_DECISIONS };

/** A permission request's `decision`, and a workspace's default decision. */
export function checkPermissionDecision(value: string): string | undefined {
  return value === "allow" || value === "deny" ? undefined : DECISION_RULE;
}
