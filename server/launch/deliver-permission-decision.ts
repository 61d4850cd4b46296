import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { permissionRequestMessage } from "../sessions/permission-requests.js";
import type { PermissionRequestRecord } from "../store/store.js";
import type { CommandSender } from "./create-command-sender.js";

export interface DeliverDeps {
  sender: CommandSender;
  /** How long the daemon has to acknowledge the decision before the wait ends (it is sent again on its next subscribe). */
  timeoutMs: number;
  log: (message: string, error?: unknown) => void;
}

/** What one delivery came to. */
export type DeliveryOutcome = "delivered" | "offline" | "refused" | "unanswered";

/**
 * Pushes a decided request to its machine's daemon as a
 * `DaemonCommand.permission_answer`, through the launch room's one command
 * sender, and waits for the acknowledgement. An `ok` acknowledgement marks
 * the request delivered (`acknowledgeCommand` does it, on whichever replica
 * the daemon called); anything else leaves it undelivered, so it is sent
 * again when the machine's daemon next subscribes. An offline machine's
 * command stays recorded until its deadline, so a stream that opens before
 * then gets it (a repeat of a delivered decision is harmless). Never throws: a failure is logged and told in the outcome.
 */
export async function deliverPermissionDecision(deps: DeliverDeps, request: PermissionRequestRecord): Promise<DeliveryOutcome> {
  const command = create(DaemonCommandSchema, {
    commandId: randomUUID(),
    kind: { case: "permissionAnswer", value: { sessionId: request.sessionId, request: permissionRequestMessage(request) } },
  });
  try {
    const sent = await deps.sender.send(request.machineId, command, {
      sessionId: request.sessionId,
      kind: "permission_answer",
      timeoutMs: deps.timeoutMs,
      timeoutMessage: `machine ${request.machineId} did not acknowledge the decision on ${request.requestId} in time`,
    });
    // Recorded, not pushed: a stream opening before its deadline gets it (as a subscribing daemon's
    // redelivery does: its stream opens after the commands are recorded).
    if (!sent) return "offline";
    const ack = await sent.ack;
    if (ack.status === "ok") return "delivered";
    deps.log(`machine ${request.machineId} refused the decision on permission request ${request.requestId}: ${JSON.stringify(ack.payload.error ?? {})}`);
    return "refused";
  } catch (error) {
    deps.log(`delivering the decision on permission request ${request.requestId} failed`, error);
    return "unanswered";
  }
}
