import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";
import {
  describeDecision,
  entryPermissionRequest,
  matchesPermissionRule,
  newPermissionRequest,
  permissionRequestEntry,
  permissionRequestMessage,
  permissionRuleOf,
} from "../../../server/sessions/permission-requests.js";
import type { JsonObject } from "@bufbuild/protobuf";
import type { PermissionRequestRecord, TranscriptEntryRecord } from "../../../server/store/store.js";
import { session } from "../store/store-contract-fixtures.js";

const record: PermissionRequestRecord = {
  sessionId: "s-1",
  requestId: "prq_1",
  workspaceId: "ws-1",
  machineId: "m-1",
  toolName: "Bash",
  input: { command: "npm test" },
  reason: "to run the tests",
  toolUseId: "tu_1",
  createdAt: 1_000,
  expireAt: 61_000,
  decision: "allow",
  decidedBy: "tok_a",
  decidedAt: 2_000,
  message: "go",
  updatedInput: { command: "npm test -- --run" },
  remember: true,
  delivered: false,
};

const entryWith = (request: object, extra: Partial<TranscriptEntryRecord> = {}): TranscriptEntryRecord => ({
  offset: 4,
  role: "system",
  kind: "permission_request",
  text: "",
  permissionRequest: toJson(PermissionRequestSchema, create(PermissionRequestSchema, request)) as JsonObject,
  ...extra,
});

describe("permissionRequestMessage", () => {
  it("carries every field of the record, times as timestamps", () => {
    const message = permissionRequestMessage(record);
    expect(message).toMatchObject({ requestId: "prq_1", sessionId: "s-1", toolName: "Bash", decision: "allow", decidedBy: "tok_a", remember: true });
    expect(timestampMs(message.createTime!)).toBe(1_000);
    expect(timestampMs(message.expireTime!)).toBe(61_000);
    expect(timestampMs(message.decideTime!)).toBe(2_000);
    expect(message.updatedInput).toEqual({ command: "npm test -- --run" });
    expect(permissionRequestMessage({ ...record, decision: "", decidedAt: undefined }).decideTime).toBeUndefined();
  });
});

describe("entryPermissionRequest", () => {
  it("reads the request an entry carries, and none without a request id", () => {
    expect(entryPermissionRequest(entryWith({ requestId: "prq_1", toolName: "Bash" }))?.requestId).toBe("prq_1");
    expect(entryPermissionRequest(entryWith({ toolName: "Bash" }))).toBeUndefined();
    expect(entryPermissionRequest({ offset: 0, role: "system", kind: "permission_request", text: "" })).toBeUndefined();
  });
});

describe("newPermissionRequest", () => {
  it("takes the tool and input of the entry and the daemon's times", () => {
    const entry = entryWith(
      { requestId: "prq_1", toolName: "Ignored", reason: "why", createTime: timestampFromMs(10), expireTime: timestampFromMs(70) },
      { toolName: "Bash", toolInput: { command: "ls" }, toolCallId: "tu_9" },
    );
    const made = newPermissionRequest(session({ sessionId: "s-1" }), entry, entryPermissionRequest(entry)!, { now: 5, timeoutMs: 1 });
    expect(made).toEqual({
      sessionId: "s-1",
      requestId: "prq_1",
      workspaceId: "ws-1",
      machineId: "m-1",
      toolName: "Bash",
      input: { command: "ls" },
      reason: "why",
      toolUseId: "tu_9",
      createdAt: 10,
      expireAt: 70,
    });
  });

  it("falls back on the request's tool and input, now, and the workspace's timeout", () => {
    const entry = entryWith({ requestId: "prq_1", toolName: "Edit", input: { file_path: "a" } });
    const made = newPermissionRequest(session({ sessionId: "s-1" }), entry, entryPermissionRequest(entry)!, { now: 5, timeoutMs: 100 });
    expect(made).toMatchObject({ toolName: "Edit", input: { file_path: "a" }, createdAt: 5, expireAt: 105, toolUseId: "" });
  });
});

describe("permissionRequestEntry", () => {
  it("rebuilds a PERMISSION_REQUEST entry whose request reads back", () => {
    const entry = permissionRequestEntry({ ...record, decision: "", decidedBy: "" }, 7);
    expect(entry).toMatchObject({ offset: 7, role: "system", kind: "permission_request", toolName: "Bash", toolInput: { command: "npm test" } });
    expect(entryPermissionRequest(entry)).toMatchObject({ requestId: "prq_1", toolName: "Bash" });
  });
});

describe("permissionRuleOf", () => {
  it("keeps a Bash command's first word and nothing for other tools", () => {
    expect(permissionRuleOf("Bash", { command: "  npm   run build" })).toEqual({ toolName: "Bash", prefix: "npm" });
    expect(permissionRuleOf("Bash", {})).toEqual({ toolName: "Bash", prefix: "" });
    expect(permissionRuleOf("Edit", { file_path: "a" })).toEqual({ toolName: "Edit", prefix: "" });
  });
});

describe("matchesPermissionRule", () => {
  const rules = [
    { sessionId: "s-1", toolName: "Bash", prefix: "npm", createdAt: 1 },
    { sessionId: "s-1", toolName: "Edit", prefix: "", createdAt: 1 },
  ];
  it("matches the same tool, and for Bash the same first word", () => {
    expect(matchesPermissionRule(rules, "Bash", { command: "npm test" })).toBe(true);
    expect(matchesPermissionRule(rules, "Bash", { command: "npmx test" })).toBe(false);
    expect(matchesPermissionRule(rules, "Bash", { command: "git push" })).toBe(false);
    expect(matchesPermissionRule(rules, "Edit", { file_path: "b" })).toBe(true);
    expect(matchesPermissionRule(rules, "Write", { file_path: "b" })).toBe(false);
    expect(matchesPermissionRule([], "Edit", {})).toBe(false);
  });
});

describe("describeDecision", () => {
  it("says the tool, the decision and who made it", () => {
    expect(describeDecision(record)).toBe("Bash allowed by tok_a");
    expect(describeDecision({ ...record, decision: "deny", decidedBy: "timeout" })).toBe(
      "Bash denied by the workspace's default (nobody answered in time)",
    );
    expect(describeDecision({ ...record, decidedBy: "remembered" })).toBe("Bash allowed by a remembered rule");
  });
});
