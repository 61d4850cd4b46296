import { create, fromJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Session,
  type SessionEvent,
  SessionEventSchema,
  SessionSchema,
  SessionEventType,
  SessionState,
} from "../../gen/workspaces/v1/session_pb.js";
import { SessionSettingsSchema } from "../../gen/workspaces/v1/launch_pb.js";
import { launchResponse } from "../launch/launch-result.js";
import type { SessionEventRecord, SessionRecord } from "../store/store.js";
import { sessionEventTypeFromName, sessionStateFromName } from "./session-state-names.js";
import { transcriptEntryMessage } from "./transcript-entries.js";

/** The API message of a stored session. */
export function sessionMessage(record: SessionRecord): Session {
  return create(SessionSchema, {
    sessionId: record.sessionId,
    workspaceId: record.workspaceId,
    machineId: record.machineId,
    state: sessionStateFromName(record.state),
    provider: record.provider,
    model: record.model,
    agentSessionId: record.agentSessionId,
    workDir: record.workDir,
    branch: record.branch,
    pid: record.pid,
    exitCode: record.exitCode,
    errorMessage: record.errorMessage,
    metadata: record.metadata,
    createTime: timestampFromMs(record.createdAt),
    updateTime: timestampFromMs(record.updatedAt),
    acknowledgement: record.acknowledgement && launchResponse(record.acknowledgement),
    initialPrompt: record.initialPrompt || undefined,
    sessionSettings: record.settings ? fromJson(SessionSettingsSchema, record.settings, { ignoreUnknownFields: true }) : undefined,
    transcriptLength: BigInt(record.transcriptLength ?? 0),
    stoppedBy: record.stoppedBy ?? "",
    stopTime: record.stopTime ? timestampFromMs(record.stopTime) : undefined,
  });
}

/** The API message of a stored event. */
export function sessionEventMessage(record: SessionEventRecord): SessionEvent {
  return create(SessionEventSchema, {
    sessionId: record.sessionId,
    sequence: BigInt(record.sequence),
    time: timestampFromMs(record.time),
    type: sessionEventTypeFromName(record.type),
    state: sessionStateFromName(record.state),
    machineId: record.machineId,
    acknowledgement: record.acknowledgement && launchResponse(record.acknowledgement),
    exitCode: record.exitCode,
    message: record.message,
    entry: record.entry ? transcriptEntryMessage(record.entry) : undefined,
  });
}

/** A keep-alive event for an idle stream: sequence 0, not part of the history. */
export function heartbeatEvent(sessionId: string): SessionEvent {
  return create(SessionEventSchema, {
    sessionId,
    type: SessionEventType.HEARTBEAT,
    state: SessionState.UNSPECIFIED,
    time: timestampFromMs(Date.now()),
  });
}
