import { toBinary } from "@bufbuild/protobuf";
import { DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { Store } from "../store.js";
import { applyPostgresMove } from "./apply-postgres-move.js";
import type { PostgresRunner } from "./create-postgres-runner.js";
import { type CommandRow, commandFromRow, jsonb } from "./postgres-rows.js";
import { postgresStatements as sql } from "./postgres-statements.js";

type CommandMethods = "createCommand" | "expireCommand" | "listPendingCommands" | "getCommand" | "recordAck" | "listOverdueCommands";

/**
 * The PostgreSQL store's daemon commands: recorded, expired, listed, and
 * acknowledged (the first acknowledgement wins; with a `move`, the session's
 * state change is written in the same transaction, see `Store.recordAck`).
 */
export function postgresCommandMethods(run: PostgresRunner): Pick<Store, CommandMethods> {
  return {
    async createCommand(command, signal) {
      const { commandId, machineId, sessionId, kind, now } = command;
      const bytes = Buffer.from(toBinary(DaemonCommandSchema, command.command));
      await run.rows("command", signal, sql.insertCommand(commandId, machineId, sessionId, kind, bytes, command.deadlineAt ?? null, now));
    },

    async expireCommand(commandId, now) {
      const [expired] = await run.rows<CommandRow>("command", undefined, sql.expireCommand(now, commandId));
      if (expired) return { command: commandFromRow(expired), expired: true };
      const [row] = await run.rows<CommandRow>("command", undefined, sql.getCommand(commandId));
      return row && { command: commandFromRow(row), expired: false };
    },

    async listPendingCommands(machineId, now, signal) {
      const rows = await run.rows<CommandRow>("command", signal, sql.listPendingCommands(machineId, now));
      return rows.map(commandFromRow);
    },

    async getCommand(commandId, signal) {
      const [row] = await run.rows<CommandRow>("command", signal, sql.getCommand(commandId));
      return row && commandFromRow(row);
    },

    async recordAck(ack) {
      const statement = sql.ackCommand(ack.status, jsonb(ack.payload), ack.now, ack.commandId, ack.machineId);
      const { move } = ack;
      if (move) {
        // The acknowledgement and the state change it makes, in one transaction.
        const recorded = await run.transaction("command", undefined, async (query) => {
          const [acked] = await query<CommandRow>(statement);
          if (!acked) return undefined;
          const command = commandFromRow(acked);
          const moved = move.sessionId === command.sessionId ? await applyPostgresMove(query, move) : undefined;
          return moved ? { command, first: true, moved } : { command, first: true };
        });
        if (recorded) return recorded;
      } else {
        const [acked] = await run.rows<CommandRow>("command", undefined, statement);
        if (acked) return { command: commandFromRow(acked), first: true };
      }
      // Not the first (or no such command): a new statement sees the acknowledgement that won.
      const [row] = await run.rows<CommandRow>("command", undefined, sql.getMachineCommand(ack.commandId, ack.machineId));
      return row && { command: commandFromRow(row), first: false };
    },

    async listOverdueCommands(now, limit) {
      return (await run.rows<CommandRow>("command", undefined, sql.listOverdueCommands(now, limit))).map(commandFromRow);
    },
  };
}
