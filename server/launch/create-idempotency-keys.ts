import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import type { IdempotentOutcome, Store } from "../store/store.js";
import { type LaunchResult, orderedLaunchResult } from "./launch-result.js";

/** A key this call claimed: its outcome is stored under it once the launch settles. */
export interface IdempotencyClaim {
  tokenId: string;
  key: string;
}

/** What `claim` found. */
export type ClaimResult =
  | { kind: "claimed"; claim: IdempotencyClaim }
  /** An earlier call with the key finished with this result, for this session. */
  | { kind: "replay"; sessionId: string; result: LaunchResult };

/**
 * Idempotency-Key handling for launches, per token: `claim` before anything
 * is started, then exactly one of `complete` (the launch settled: its result
 * or error is what every retry gets) or `release` (nothing was started: a
 * retry runs again).
 */
export interface IdempotencyKeys {
  /**
   * Claims `key` for the token, or finds the earlier call's outcome. Throws
   * `invalid_argument` for a malformed key or a key used with another
   * request, `aborted` while the first call is still running, and the first
   * call's own error when it ended with one. `request` is a launch, or the
   * binary encoding of any other request (a follow-up message) to compare.
   */
  claim(tokenId: string, key: string, request: LaunchWorkspaceSessionRequest | Uint8Array): Promise<ClaimResult>;
  /** Stores the outcome of the claimed launch. */
  complete(claim: IdempotencyClaim, outcome: IdempotentOutcome): Promise<void>;
  /** Gives the claim up; a failure to do so is logged, never thrown (the caller already has its answer). */
  release(claim: IdempotencyClaim): Promise<void>;
}

export interface IdempotencyKeysOptions {
  store: Store;
  /** Where a failed release is reported. */
  log: (message: string, error?: unknown) => void;
  /** Clock, in Unix milliseconds. Default `Date.now`. */
  now?: () => number;
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** The request header that carries an idempotency key (HTTP header names are case-insensitive). */
export const idempotencyKeyHeader = "Idempotency-Key";
/** The RPCs, by full method name, that honour `idempotencyKeyHeader`: a retry with the key returns the first result. */
export const idempotentMethods: ReadonlySet<string> = new Set([
  "workspaces.v1.WorkspaceSessionService.LaunchWorkspaceSession",
  "workspaces.v1.WorkspaceSessionService.SendSessionMessage",
]);
/** What `claim` accepts as a key, as JSON Schema (the same pattern). */
export const idempotencyKeySchema = { type: "string", pattern: keyPattern.source, minLength: 1, maxLength: 255 };

export function createIdempotencyKeys(options: IdempotencyKeysOptions): IdempotencyKeys {
  const { store, log } = options;
  const now = options.now ?? Date.now;
  return {
    async claim(tokenId, key, request) {
      if (!keyPattern.test(key)) {
        throw new ConnectError("Idempotency-Key must be 1-255 printable ASCII characters", Code.InvalidArgument);
      }
      const bytes = request instanceof Uint8Array ? request : toBinary(LaunchWorkspaceSessionRequestSchema, request);
      const requestHash = createHash("sha256").update(bytes).digest("hex");
      const earlier = await store.claimIdempotencyKey({ tokenId, key, sessionId: "", requestHash, now: now() });
      if (!earlier) return { kind: "claimed", claim: { tokenId, key } };
      if (earlier.requestHash !== requestHash) {
        throw new ConnectError("Idempotency-Key was already used with a different request", Code.InvalidArgument);
      }
      const outcome = earlier.outcome;
      if (!outcome) throw new ConnectError("a request with this Idempotency-Key is still in progress", Code.Aborted);
      if (outcome.error) throw new ConnectError(outcome.error.message, outcome.error.code);
      // A replay has the first answer's field order, whatever order the store kept.
      const result = orderedLaunchResult(outcome.result);
      return { kind: "replay", sessionId: String(result.payload.session_id), result };
    },

    async complete(claim, outcome) {
      await store.completeIdempotencyKey(claim.tokenId, claim.key, outcome);
    },

    async release(claim) {
      try {
        await store.releaseIdempotencyKey(claim.tokenId, claim.key);
      } catch (error) {
        log(`releasing Idempotency-Key ${JSON.stringify(claim.key)} failed; a retry with it answers "still in progress"`, error);
      }
    },
  };
}
