import type { Readable, Writable } from "node:stream";
import { askDaemon, markDelivered, toolAnswer } from "./ask-daemon.js";
import { servePermissionTool } from "./serve-permission-tool.js";

/** Options of runPermissionServer. */
export interface RunPermissionServerOptions {
  /** The session's permission directory (where the daemon wrote `policy.json`). */
  dir: string;
  input: Readable;
  output: Writable;
  version?: string;
  /** How often a decision is looked for; default 100 ms. */
  pollMs?: number;
  /** See AskDaemonOptions.giveUpMs. */
  giveUpMs?: number;
  log?: (line: string) => void;
  /** Stops it (see ServePermissionToolOptions.signal). */
  signal?: AbortSignal;
}

/**
 * The permission server an agent starts from its `--mcp-config` (`wsctl daemon
 * permission-server --dir DIR`): serves the MCP tool `approve` on
 * `input`/`output`, handing each call to the daemon through `dir` (askDaemon)
 * and answering the agent with the decision, then marking it delivered.
 * Resolves once `input` ends.
 */
export function runPermissionServer(options: RunPermissionServerOptions): Promise<void> {
  const { dir } = options;
  const log = options.log ?? (() => undefined);
  return servePermissionTool({
    input: options.input,
    output: options.output,
    ...(options.version !== undefined ? { version: options.version } : {}),
    log,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    async decide(use, signal) {
      const asked = await askDaemon(use, { dir, signal, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}), ...(options.giveUpMs !== undefined ? { giveUpMs: options.giveUpMs } : {}) });
      if (asked === undefined) {
        log(`permission server: the agent cancelled its request to use ${use.tool_name}`);
        return undefined;
      }
      log(`permission server: ${asked.requestId} ${use.tool_name}: ${asked.verdict.decision} (${asked.verdict.decided_by || "unknown"})`);
      return {
        text: toolAnswer(use, asked.verdict),
        delivered: () => {
          try {
            markDelivered(dir, asked.requestId);
          } catch (error) {
            log(`permission server: could not mark ${asked.requestId} delivered (${(error as Error).message})`);
          }
        },
      };
    },
  });
}
