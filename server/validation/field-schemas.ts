import { bcp47Schema } from "./check-bcp47.js";
import { worktreeNameSchema } from "./check-worktree-name.js";
import {
  agentSessionIdSchema,
  idSchema,
  modelSchema,
  modeSchema,
  permissionDecisionSchema,
  permissionModeSchema,
  providerSchema,
  type RuleSchema,
  thinkingSchema,
} from "./field-rules.js";
import { promptSchema } from "./validate-launch-request.js";
import { messagesPageSizeSchema, messageTextSchema } from "./validate-message-requests.js";
import { graceSecondsSchema, pageTokenSchema, sessionsPageSizeSchema } from "./validate-session-requests.js";
import { tokenIdSchema, tokenLabelSchema, tokenScopeSchema } from "./validate-token-requests.js";

const v1 = "workspaces.v1";
/** An id or "" (a filter left empty means "every"). */
const idOrEmptySchema: RuleSchema = { pattern: `^$|${idSchema.pattern}`, maxLength: 64 };
const sessionKey = (message: string): [string, RuleSchema][] => [
  [`${v1}.${message}.workspace_id`, idSchema],
  [`${v1}.${message}.session_id`, idSchema],
];

/**
 * The validators' field rules as JSON Schema keywords, keyed by the full proto
 * name of the field they check (`workspaces.v1.Message.field`; for a repeated
 * field, its items). Each value is the `…Schema` exported beside the check
 * that uses the same pattern or list, so the OpenAPI document states what the
 * server enforces; test/server/validation/field-schemas.test.ts keeps every
 * key naming a field, every pattern agreeing with its check, and the seed's
 * placeholder body failing the document where the server rejects it.
 */
export const fieldSchemas: ReadonlyMap<string, RuleSchema> = new Map<string, RuleSchema>([
  [`${v1}.LaunchWorkspaceSessionRequest.workspace_id`, idSchema],
  [`${v1}.LaunchWorkspaceSessionRequest.machine_id`, idSchema],
  [`${v1}.LaunchWorkspaceSessionRequest.user_session_id`, idSchema],
  [`${v1}.LaunchWorkspaceSessionRequest.initial_prompt`, promptSchema],
  [`${v1}.LaunchWorkspaceSessionRequest.worktree_name`, worktreeNameSchema],
  [`${v1}.LaunchWorkspaceSessionRequest.resume_session_id`, agentSessionIdSchema],
  [`${v1}.LaunchWorkspaceSessionRequest.agent_session_id`, agentSessionIdSchema],
  [`${v1}.CodeSettings.mode`, modeSchema],
  [`${v1}.CodeSettings.default_provider`, providerSchema],
  [`${v1}.CodeSettings.permission_mode`, permissionModeSchema],
  [`${v1}.AnswerPermissionRequestRequest.decision`, permissionDecisionSchema],
  [`${v1}.ClaudeCodeSettings.model`, modelSchema],
  [`${v1}.CodexSettings.model`, modelSchema],
  [`${v1}.CodexSettings.thinking`, thinkingSchema],
  [`${v1}.VoiceSettings.language`, bcp47Schema],
  ...sessionKey("GetWorkspaceSessionRequest"),
  ...sessionKey("WatchWorkspaceSessionRequest"),
  [`${v1}.WatchWorkspaceSessionsRequest.workspace_id`, idSchema],
  ...sessionKey("StopWorkspaceSessionRequest"),
  [`${v1}.StopWorkspaceSessionRequest.grace_seconds`, graceSecondsSchema],
  [`${v1}.ListWorkspaceSessionsRequest.workspace_id`, idSchema],
  [`${v1}.ListWorkspaceSessionsRequest.machine_id`, idOrEmptySchema],
  [`${v1}.ListWorkspaceSessionsRequest.page_size`, sessionsPageSizeSchema],
  [`${v1}.ListWorkspaceSessionsRequest.page_token`, pageTokenSchema],
  ...sessionKey("ListSessionMessagesRequest"),
  [`${v1}.ListSessionMessagesRequest.page_size`, messagesPageSizeSchema],
  ...sessionKey("SendSessionMessageRequest"),
  [`${v1}.SendSessionMessageRequest.text`, messageTextSchema],
  [`${v1}.ListMachinesRequest.workspace_id`, idOrEmptySchema],
  [`${v1}.GetMachineRequest.machine_id`, idSchema],
  [`${v1}.RegisterMachineRequest.workspace_id`, idSchema],
  [`${v1}.RegisterMachineRequest.name`, idSchema],
  [`${v1}.CreateApiTokenRequest.workspace_id`, idSchema],
  [`${v1}.CreateApiTokenRequest.scopes`, tokenScopeSchema],
  [`${v1}.CreateApiTokenRequest.label`, tokenLabelSchema],
  [`${v1}.ListApiTokensRequest.workspace_id`, idSchema],
  [`${v1}.RevokeApiTokenRequest.workspace_id`, idSchema],
  [`${v1}.RevokeApiTokenRequest.token_id`, tokenIdSchema],
]);
