import { existsSync } from "node:fs";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { PermissionAnswerCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { Transcripts } from "../transcript/create-transcripts.js";
import { decisionEntry, describeUse, requestEntry } from "./permission-entries.js";
import {
  createJsonFileOnce,
  expireTimeOf,
  isRequestId,
  listRequests,
  type PermissionVerdict,
  readAsk,
  readPolicy,
  readVerdict,
  requestFile,
  touchFile,
} from "./permission-files.js";
import { daemonFallbackMs } from "./permission-policy.js";

/** The acknowledgement of a permission answer (a CommandResult). */
export interface AnswerResult {
  status: "ok" | "error";
  payload: { [key: string]: string | boolean | { code: string; message: string } };
}

/**
 * The daemon's side of the permission hand-off (see permission-files.ts), one
 * relay per session whose agent has a permission directory: each request the
 * permission server writes becomes a PERMISSION_REQUEST transcript entry (its
 * `expire_time` its create time plus the approval timeout); an answer from
 * the server is written as the request's decision (first writer wins);
 * nobody's answer by `expire_time` + 30 s, and the policy's default decision
 * is written (decided by `timeout`); a decision written (by either, or by the
 * permission server giving up) is handed to the agent: a PERMISSION_DECISION
 * entry follows in the transcript, before what the agent then does. All of
 * it is read back from the files, so a restarted daemon carries on where the
 * last one stood. The daemon remembers no rule: remembering is the server's.
 */
export interface PermissionRelays {
  /** Starts relaying the session's permission directory (a launch with a relay, an adopted agent); nothing when it has none. */
  open(sessionId: string, workspaceId: string): void;
  /**
   * Carries out a PermissionAnswerCommand: `ok` once the decision is durably
   * written for the permission server (payload `request_id`, and `decision`
   * and `decided_by` of the decision that stands: a repeat, or an answer
   * after the daemon's own fallback, gets `already_decided: true` and the
   * first decision); `error` `request_not_found` for a request this machine
   * never had, `invalid_argument` for a decision other than allow or deny.
   * The PERMISSION_DECISION entry of a relayed session is journaled first.
   */
  answer(command: PermissionAnswerCommand): Promise<AnswerResult>;
  /**
   * Forwards what is left of a session whose agent ended, then stops relaying
   * it; with `workspaceId`, a session this run did not relay (its agent ended
   * while no daemon watched) is read once.
   */
  finish(sessionId: string, workspaceId?: string): Promise<void>;
  /** Stops every relay (the daemon leaves its agents running). */
  stopAll(): void;
}

export interface PermissionRelaysOptions {
  /** The session's permission directory. */
  dirOf: (sessionId: string) => string;
  transcripts: Transcripts;
  /** How often each directory is read; default 100 ms. */
  pollMs?: number;
  /** How long after `expire_time` the daemon applies the default decision itself; default 30 s. */
  fallbackMs?: number;
  now?: () => number;
  log: (line: string) => void;
}

interface Relay {
  sessionId: string;
  workspaceId: string;
  dir: string;
  timer: NodeJS.Timeout;
  /** Requests whose both entries are in the transcript. */
  done: Set<string>;
  scanning?: Promise<void>;
}

export function createPermissionRelays(options: PermissionRelaysOptions): PermissionRelays {
  const { transcripts, log } = options;
  const now = options.now ?? Date.now;
  const fallbackMs = options.fallbackMs ?? daemonFallbackMs;
  const relays = new Map<string, Relay>();

  async function scanOnce(relay: Relay): Promise<void> {
    const { dir, sessionId } = relay;
    const policy = readPolicy(dir);
    if (policy === undefined) return;
    for (const id of listRequests(dir)) {
      if (relay.done.has(id)) continue;
      const ask = readAsk(dir, id);
      if (ask === undefined) continue;
      const context = { sessionId, workspaceId: relay.workspaceId, expireTime: expireTimeOf(ask, policy) };
      const file = (name: "sent-request" | "sent-decision") => requestFile(dir, id, name);
      if (!existsSync(file("sent-request"))) {
        if ((await transcripts.append(sessionId, requestEntry(ask, context))) === undefined) continue;
        touchFile(file("sent-request"));
        log(`daemon: session ${sessionId}: permission request ${id} (${describeUse(ask.tool_name, ask.input)}) forwarded`);
      }
      let verdict = readVerdict(dir, id);
      if (verdict === undefined && now() >= context.expireTime + fallbackMs) {
        const fallback: PermissionVerdict = {
          request_id: id,
          decision: policy.default_decision,
          message: `nobody answered within ${Math.round(policy.approval_timeout_ms / 1000)} s; the default decision (${policy.default_decision}) applies`,
          remember: false,
          decided_by: "timeout",
          decide_time: new Date(now()).toISOString(),
        };
        if (createJsonFileOnce(requestFile(dir, id, "decision.json"), fallback)) {
          log(`daemon: session ${sessionId}: permission request ${id} unanswered past its expiry; applied the default decision ${fallback.decision}`);
        }
        verdict = readVerdict(dir, id);
      }
      if (verdict === undefined) continue;
      if (!existsSync(file("sent-decision"))) {
        if ((await transcripts.append(sessionId, decisionEntry(ask, verdict, context, now()))) === undefined) continue;
        touchFile(file("sent-decision"));
        log(`daemon: session ${sessionId}: permission request ${id}: ${verdict.decision} (${verdict.decided_by}) handed to the agent`);
      }
      relay.done.add(id);
    }
  }

  /** One scan at a time per session; a failed one is logged and the next tick tries again. */
  function scan(relay: Relay): Promise<void> {
    relay.scanning ??= scanOnce(relay)
      .catch((error: unknown) => log(`daemon: session ${relay.sessionId}: permission relay: ${(error as Error).message}`))
      .finally(() => {
        relay.scanning = undefined;
      });
    return relay.scanning;
  }

  const relaysApi: PermissionRelays = {
    open(sessionId, workspaceId) {
      const dir = options.dirOf(sessionId);
      if (relays.has(sessionId) || !existsSync(dir)) return;
      const relay: Relay = { sessionId, workspaceId, dir, done: new Set(), timer: setInterval(() => void scan(relay), options.pollMs ?? 100) };
      relay.timer.unref();
      relays.set(sessionId, relay);
      void scan(relay);
    },
    async answer(command) {
      const request = command.request;
      const id = request?.requestId ?? "";
      const dir = options.dirOf(command.sessionId);
      const ask = isRequestId(id) ? readAsk(dir, id) : undefined;
      if (request === undefined || ask === undefined) {
        return failed("request_not_found", `session ${command.sessionId} has no permission request "${id}" on this machine`);
      }
      if (request.decision !== "allow" && request.decision !== "deny") {
        return failed("invalid_argument", `decision "${request.decision}" is neither allow nor deny`);
      }
      const verdict: PermissionVerdict = {
        request_id: id,
        decision: request.decision,
        message: request.message,
        ...(request.updatedInput !== undefined ? { updated_input: request.updatedInput } : {}),
        remember: request.remember,
        decided_by: request.decidedBy,
        decide_time: new Date(request.decideTime === undefined ? now() : timestampMs(request.decideTime)).toISOString(),
      };
      const created = createJsonFileOnce(requestFile(dir, id, "decision.json"), verdict);
      const standing = readVerdict(dir, id) ?? verdict;
      const relay = relays.get(command.sessionId);
      if (relay !== undefined) {
        // A scan under way may have looked before the decision was there.
        await relay.scanning;
        await scan(relay);
      }
      return {
        status: "ok",
        payload: {
          request_id: id,
          decision: standing.decision,
          decided_by: standing.decided_by,
          ...(created ? {} : { already_decided: true }),
        },
      };
    },
    async finish(sessionId, workspaceId) {
      if (workspaceId !== undefined) relaysApi.open(sessionId, workspaceId);
      const relay = relays.get(sessionId);
      if (relay === undefined) return;
      clearInterval(relay.timer);
      await relay.scanning;
      await scan(relay);
      relays.delete(sessionId);
    },
    stopAll() {
      for (const relay of relays.values()) clearInterval(relay.timer);
      relays.clear();
    },
  };
  return relaysApi;
}

function failed(code: string, message: string): AnswerResult {
  return { status: "error", payload: { error: { code, message } } };
}
