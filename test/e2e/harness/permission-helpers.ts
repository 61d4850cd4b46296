import { readFile } from "node:fs/promises";
import path from "node:path";
import { pollUntil } from "../../support/poll-until.js";
import { seedRequest } from "./seed-request.js";
import type { Stack } from "./start-stack.js";

/** A REST answer: the HTTP status and the JSON body. */
export interface RestReply {
  status: number;
  body: Record<string, unknown>;
}

/** A REST call under `/api/v1/workspaces/{the stack's workspace}` with the stack's API token. */
export async function workspaceRest(stack: Stack, method: string, route: string, body?: unknown): Promise<RestReply> {
  const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}${route}`, {
    method,
    headers: { Authorization: `Bearer ${stack.apiToken}`, "Content-Type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The seed's request with `initial_prompt` and, unless undefined, `session_settings.code.permission_mode`. */
export function permissionLaunchBody(prompt: string, permissionMode: string | undefined = "default"): Record<string, unknown> {
  const body = seedRequest({ initial_prompt: prompt }) as { session_settings: { code: Record<string, unknown> } };
  if (permissionMode !== undefined) body.session_settings.code.permission_mode = permissionMode;
  return body;
}

/** Launches over REST (the stand-in agent acts on `prompt`, e.g. `use:Bash:npm test`); fails unless acknowledged ok. */
export async function launchWithPermissions(stack: Stack, prompt: string, permissionMode?: string): Promise<{ sessionId: string; pid: number }> {
  const res = await workspaceRest(stack, "POST", "/sessions", permissionLaunchBody(prompt, permissionMode));
  if (res.status !== 200 || res.body.status !== "ok") throw new Error(`launch failed: ${res.status} ${JSON.stringify(res.body)}`);
  const payload = res.body.payload as { session_id: string; pid: number };
  return { sessionId: payload.session_id, pid: payload.pid };
}

/** A PermissionRequest as REST JSON (proto names; empty fields left out). */
export interface PermissionJson {
  request_id: string;
  session_id: string;
  tool_name: string;
  input?: Record<string, unknown>;
  decision?: string;
  decided_by?: string;
  message?: string;
  remember?: boolean;
  delivered?: boolean;
  create_time?: string;
  expire_time?: string;
  decide_time?: string;
}

/** The session's pending requests over REST `GET …/permissions?session_id=`. */
export async function pendingRequests(stack: Stack, sessionId: string): Promise<PermissionJson[]> {
  const res = await workspaceRest(stack, "GET", `/permissions?session_id=${encodeURIComponent(sessionId)}`);
  if (res.status !== 200) throw new Error(`listing permission requests: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.requests ?? []) as PermissionJson[];
}

/** Waits until the session has `count` pending requests; resolves with them, oldest first. */
export function waitForPending(stack: Stack, sessionId: string, count = 1, timeoutMs = 15_000): Promise<PermissionJson[]> {
  return pollUntil(
    async () => {
      const pending = await pendingRequests(stack, sessionId);
      return pending.length >= count ? pending : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${count} pending permission request(s) of session ${sessionId}` },
  );
}

/** One permission check the stand-in agent made (its record's `permissions`). */
export interface AgentPermissionCheck {
  tool: string;
  input: Record<string, unknown>;
  tool_use_id: string;
  behavior: "allow" | "deny";
  message?: string;
  updatedInput?: Record<string, unknown>;
  via: string;
}

/** The stand-in agent's record: argv, messages read, permission checks made. */
export async function agentRecord(stack: Stack, pid: number): Promise<{ argv: string[]; messages: string[]; permissions: AgentPermissionCheck[] }> {
  return JSON.parse(await readFile(path.join(stack.recordDir, `${pid}.json`), "utf8"));
}

/** Waits until the agent has acted on `count` permission answers; resolves with its checks. */
export function waitForAgentChecks(stack: Stack, pid: number, count = 1, timeoutMs = 15_000): Promise<AgentPermissionCheck[]> {
  return pollUntil(
    async () => {
      const checks = (await agentRecord(stack, pid)).permissions ?? [];
      return checks.length >= count ? checks : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `agent ${pid} to act on ${count} permission answer(s)` },
  );
}
