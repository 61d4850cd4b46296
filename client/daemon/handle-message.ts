import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { MessageCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { writeUserEvent } from "./agent-stdin.js";
import { isCodexConversation } from "./create-codex-conversation.js";
import type { AgentTable } from "./create-agent-table.js";
import { toDaemonError } from "./daemon-error.js";
import type { CommandResult } from "./handle-launch.js";
import type { Transcripts } from "./transcript/create-transcripts.js";

/**
 * Carries out a message command: the message enters the session's transcript
 * as a USER entry, then goes to the agent as a stream-json user event on its
 * stdin FIFO for Claude Code, or as the next `codex exec resume` turn of a
 * Codex conversation (queued while a turn runs); acknowledged `ok` with the
 * entry's `offset`. A session without a running agent here is
 * `agent_not_running`; one that takes no input (an agent adopted from a daemon
 * that gave it no stream-json stdin, or an adopted Codex turn)
 * `unsupported_provider`; one that arrives past its deadline is not
 * delivered (`deadline_exceeded`).
 */
export async function handleMessage(
  ctx: { agents: AgentTable; transcripts?: Transcripts | undefined; now?: () => number },
  message: MessageCommand,
): Promise<CommandResult> {
  if (message.deadline !== undefined && timestampMs(message.deadline) <= (ctx.now ?? Date.now)()) {
    return errorResult("deadline_exceeded", "the message arrived after its deadline; it was not delivered");
  }
  const record = ctx.agents.bySession(message.sessionId);
  if (record === undefined || record.agent.exitStatus() !== undefined) {
    return errorResult("agent_not_running", `session ${message.sessionId} has no running agent on this machine`);
  }
  const conversation = isCodexConversation(record.agent) ? record.agent : undefined;
  const stdinPath = record.stdinPath;
  if (conversation === undefined && stdinPath === undefined) {
    const why =
      record.provider === "codex"
        ? "this Codex session's turn was adopted after a daemon restart: it takes no further turns"
        : "this agent was started without a stream-json stdin";
    return errorResult("unsupported_provider", why);
  }
  try {
    const offset = await ctx.transcripts?.appendUser(message.sessionId, message.text);
    if (conversation !== undefined) await conversation.send(message.text);
    else await writeUserEvent(stdinPath!, message.text);
    return { status: "ok", payload: { offset: offset ?? 0 } };
  } catch (error) {
    const failure = toDaemonError(error);
    return errorResult(failure.code, failure.message);
  }
}

function errorResult(code: string, message: string): CommandResult {
  return { status: "error", payload: { error: { code, message } } };
}
