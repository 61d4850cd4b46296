import type { JsonObject } from "@bufbuild/protobuf";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";

/** What a daemon command is for. */
export type CommandKind = "launch" | "stop" | "message";

export interface NewCommand {
  commandId: string;
  machineId: string;
  sessionId: string;
  kind: CommandKind;
  /** The command as pushed, kept so another replica or a reconnect can push it again. */
  command: DaemonCommand;
  /** When the server stops waiting for the acknowledgement; undefined for no deadline. */
  deadlineAt: number | undefined;
  now: number;
}

export interface CommandRecord extends Omit<NewCommand, "now"> {
  createdAt: number;
  /** "" until acknowledged; `expired` when the server gave up first (see `expireCommand`). */
  ackStatus: string;
  /** The acknowledged payload; undefined until acknowledged. */
  ackPayload: JsonObject | undefined;
  ackedAt: number | undefined;
}
