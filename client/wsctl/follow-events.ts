import { toJson } from "@bufbuild/protobuf";
import { type SessionEvent, SessionEventSchema, SessionEventType } from "../../gen/workspaces/v1/session_pb.js";
import { apiJsonOptions, type CliIo, printJson } from "./cli-output.js";
import { followExitStatus, formatEvent, isTerminalEvent, stateName } from "./format-event.js";
import type { ProgressLine } from "./create-progress-line.js";

/**
 * Prints a session's event stream, one line per event (heartbeats skipped):
 * text, or with `json` one JSON object per line with proto field names. The
 * progress line shows the latest state between events. Resolves with the exit
 * status: 0 when the session exited with code 0, 1 otherwise (failed, exited
 * non-zero, or the stream ended before a terminal event). Call errors are thrown.
 */
export async function followEvents(
  events: AsyncIterable<SessionEvent>,
  io: CliIo,
  options: { verb: string; json: boolean; progress: ProgressLine },
): Promise<number> {
  let last: SessionEvent | undefined;
  for await (const event of events) {
    if (event.type === SessionEventType.HEARTBEAT) continue;
    options.progress.clear();
    if (options.json) printJson(io, toJson(SessionEventSchema, event, apiJsonOptions));
    else io.stdout(`${formatEvent(event)}\n`);
    last = event;
    if (isTerminalEvent(event)) break;
    options.progress.update(`session ${stateName(event.state)}, waiting for the next change…`);
  }
  options.progress.clear();
  if (last === undefined || !isTerminalEvent(last)) {
    io.stderr(`wsctl ${options.verb}: the event stream ended before the session did\n`);
  }
  return followExitStatus(last);
}
