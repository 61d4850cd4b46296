import type { JsonObject } from "@bufbuild/protobuf";
import { sleep } from "../create-backoff.js";
import {
  createJsonFileOnce,
  newRequestId,
  type PermissionVerdict,
  readPolicy,
  readVerdict,
  requestFile,
  touchFile,
  writeJsonFile,
} from "./permission-files.js";
import { daemonFallbackMs, defaultApprovalTimeoutMs, permissionServerMarginMs } from "./permission-policy.js";

/** One call of the permission tool, as the agent made it. */
export interface ToolUse {
  tool_name: string;
  input: JsonObject;
  tool_use_id?: string;
  reason?: string;
}

/** Options of askDaemon. */
export interface AskDaemonOptions {
  /** The session's permission directory. */
  dir: string;
  /** How often the decision file is looked for; default 100 ms. */
  pollMs?: number;
  /**
   * How long to wait for any decision before giving up with the policy's
   * default decision; default the policy's approval timeout + 60 s (the
   * daemon's own fallback comes 30 s after the timeout).
   */
  giveUpMs?: number;
  /** Ends the wait (the agent cancelled the call, or went away): resolves undefined. */
  signal?: AbortSignal;
  now?: () => number;
}

/** A decision and the request it answers. */
export interface AskResult {
  requestId: string;
  verdict: PermissionVerdict;
}

/**
 * Hands one permission request to the daemon and waits for its decision:
 * writes `<id>.request.json` (durable) into the session's permission
 * directory and polls for `<id>.decision.json`, which the daemon writes when
 * the answer arrives (or its own fallback applies). It never waits forever:
 * past `giveUpMs` it writes the policy's default decision itself (decided by
 * `timeout`; first writer wins, so a decision the daemon wrote meanwhile is
 * used instead). When the request cannot even be written (the directory is
 * gone) the answer is `deny` at once, saying why. Resolves undefined only when
 * `signal` ends the wait.
 */
export async function askDaemon(use: ToolUse, options: AskDaemonOptions): Promise<AskResult | undefined> {
  const { dir, signal } = options;
  const now = options.now ?? Date.now;
  const policy = readPolicySafely(dir);
  const requestId = newRequestId();
  const createTime = now();
  try {
    writeJsonFile(requestFile(dir, requestId, "request.json"), {
      request_id: requestId,
      tool_name: use.tool_name,
      input: use.input,
      tool_use_id: use.tool_use_id ?? "",
      reason: use.reason ?? "",
      create_time: new Date(createTime).toISOString(),
    });
  } catch (error) {
    return { requestId, verdict: ownVerdict(requestId, "deny", `the permission request could not be handed to the wsctl daemon (${(error as Error).message}); denied`) };
  }
  const timeoutMs = policy?.approval_timeout_ms ?? defaultApprovalTimeoutMs;
  const giveUpAt = createTime + (options.giveUpMs ?? timeoutMs + daemonFallbackMs + permissionServerMarginMs);
  const pollMs = options.pollMs ?? 100;
  while (!signal?.aborted) {
    const verdict = readVerdict(dir, requestId);
    if (verdict !== undefined) return { requestId, verdict };
    if (now() >= giveUpAt) {
      const decision = policy?.default_decision ?? "deny";
      const mine = ownVerdict(requestId, decision, `nobody answered within ${Math.round(timeoutMs / 1000)} s and no wsctl daemon decided; the default decision (${decision}) applies`);
      try {
        if (createJsonFileOnce(requestFile(dir, requestId, "decision.json"), mine)) return { requestId, verdict: mine };
      } catch {
        return { requestId, verdict: mine };
      }
      continue;
    }
    await sleep(Math.min(pollMs, Math.max(1, giveUpAt - now())), signal);
  }
  return undefined;
}

/** Records that the agent has the decision on `requestId`, for the daemon's PERMISSION_DECISION entry. */
export function markDelivered(dir: string, requestId: string): void {
  touchFile(requestFile(dir, requestId, "delivered"));
}

/** The answer Claude Code expects from a permission prompt tool, as the text of its result. */
export function toolAnswer(use: ToolUse, verdict: PermissionVerdict): string {
  if (verdict.decision === "allow") return JSON.stringify({ behavior: "allow", updatedInput: verdict.updated_input ?? use.input });
  return JSON.stringify({ behavior: "deny", message: verdict.message || "The user denied this tool use." });
}

function ownVerdict(requestId: string, decision: "allow" | "deny", message: string): PermissionVerdict {
  return { request_id: requestId, decision, message, remember: false, decided_by: "timeout", decide_time: new Date().toISOString() };
}

function readPolicySafely(dir: string) {
  try {
    return readPolicy(dir);
  } catch {
    return undefined;
  }
}
