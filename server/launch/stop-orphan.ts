import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { CommandSender } from "./create-command-sender.js";

/** Grace of the stop sent to an agent nobody should be running. */
export const orphanStopGraceMs = 5_000;

/**
 * Sends a stop for an agent nobody should be running (its launch was answered
 * with an error, or the server has its session as finished) and does not wait:
 * the daemon's answer is only logged. A machine that is offline gets the stop
 * when its daemon subscribes again (pending commands are delivered again).
 */
export async function stopOrphan(
  deps: { sender: CommandSender; log: (message: string, error?: unknown) => void },
  session: { sessionId: string; machineId: string },
  why: string,
): Promise<void> {
  const command = create(DaemonCommandSchema, {
    commandId: randomUUID(),
    kind: { case: "stop", value: { sessionId: session.sessionId, grace: { seconds: BigInt(orphanStopGraceMs / 1000), nanos: 0 } } },
  });
  const what = `stopping the agent of session ${session.sessionId}, ${why}`;
  try {
    const sent = await deps.sender.send(session.machineId, command, {
      sessionId: session.sessionId,
      kind: "stop",
      timeoutMs: orphanStopGraceMs + 10_000,
      timeoutMessage: `machine ${session.machineId} did not confirm the stop in time`,
    });
    if (!sent) {
      deps.log(`${what}: machine ${session.machineId} is offline; its daemon gets the stop when it reconnects`);
      return;
    }
    sent.ack.then(
      (answer) => {
        if (answer.status !== "ok") deps.log(`${what}: the daemon answered ${answer.status}`);
      },
      (error: unknown) => deps.log(what, error),
    );
  } catch (error) {
    deps.log(what, error);
  }
}
