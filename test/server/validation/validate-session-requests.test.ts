import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ListMachinesRequestSchema } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import {
  GetWorkspaceSessionRequestSchema,
  ListWorkspaceSessionsRequestSchema,
  StopWorkspaceSessionRequestSchema,
  WatchWorkspaceSessionRequestSchema,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import {
  validateGetSessionRequest,
  validateListMachinesRequest,
  validateListSessionsRequest,
  validateMachineId,
  validateStopSessionRequest,
  validateWatchSessionRequest,
} from "../../../server/validation/validate-session-requests.js";
import { violationsOf } from "./violations-of.js";

const ID_RULE = "must be 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";
const KEY = { workspaceId: "ws-1", sessionId: "s-1" };

describe("validateGetSessionRequest", () => {
  it("accepts a workspace and session id", () => {
    expect(() => validateGetSessionRequest(create(GetWorkspaceSessionRequestSchema, KEY))).not.toThrow();
  });

  it("reports both ids when both are bad", () => {
    const req = create(GetWorkspaceSessionRequestSchema, { workspaceId: "", sessionId: "s".repeat(65) });
    expect(violationsOf(() => validateGetSessionRequest(req))).toEqual([
      { field: "workspace_id", description: "is required" },
      { field: "session_id", description: ID_RULE },
    ]);
  });
});

describe("validateWatchSessionRequest", () => {
  it("accepts any after_sequence", () => {
    const req = create(WatchWorkspaceSessionRequestSchema, { ...KEY, afterSequence: 18446744073709551615n });
    expect(() => validateWatchSessionRequest(req)).not.toThrow();
  });

  it.each([
    ["workspace_id", { workspaceId: "../etc" }, ID_RULE],
    ["session_id", { sessionId: "" }, "is required"],
  ])("rejects a bad %s", (field, change, description) => {
    const req = create(WatchWorkspaceSessionRequestSchema, { ...KEY, ...change });
    expect(violationsOf(() => validateWatchSessionRequest(req))).toEqual([{ field, description }]);
  });
});

describe("validateStopSessionRequest", () => {
  it.each([0, 1, 10, 300])("accepts grace_seconds %d", (graceSeconds) => {
    const req = create(StopWorkspaceSessionRequestSchema, { ...KEY, graceSeconds });
    expect(() => validateStopSessionRequest(req)).not.toThrow();
  });

  it.each([-1, 301, 2147483647])("rejects grace_seconds %d", (graceSeconds) => {
    const req = create(StopWorkspaceSessionRequestSchema, { ...KEY, graceSeconds });
    expect(violationsOf(() => validateStopSessionRequest(req))).toEqual([
      { field: "grace_seconds", description: "must be between 0 and 300 seconds (0 means 10)" },
    ]);
  });

  it("reports bad ids and grace together", () => {
    const req = create(StopWorkspaceSessionRequestSchema, { workspaceId: "-w", sessionId: "s 1", graceSeconds: 900 });
    expect(violationsOf(() => validateStopSessionRequest(req)).map((v) => v.field)).toEqual([
      "workspace_id",
      "session_id",
      "grace_seconds",
    ]);
  });
});

describe("validateListSessionsRequest", () => {
  it.each([
    {},
    { pageSize: 0 },
    { pageSize: 1 },
    { pageSize: 500 },
    { machineId: "m-1" },
    { state: SessionState.RUNNING },
    { state: SessionState.UNKNOWN },
    { pageToken: "t".repeat(512) },
  ])("accepts %j", (change) => {
    const req = create(ListWorkspaceSessionsRequestSchema, { workspaceId: "ws-1", ...change });
    expect(() => validateListSessionsRequest(req)).not.toThrow();
  });

  it.each<[string, object, string]>([
    ["page_size", { pageSize: -1 }, "must be between 0 and 500 (0 means 50)"],
    ["page_size", { pageSize: 501 }, "must be between 0 and 500 (0 means 50)"],
    [
      "page_token",
      { pageToken: "t".repeat(513) },
      "must be at most 512 characters: send the next_page_token of the previous page",
    ],
    ["machine_id", { machineId: "m/1" }, ID_RULE],
    ["state", { state: 99 as SessionState }, "must be a SessionState value, or unset for every state"],
    ["workspace_id", { workspaceId: "" }, "is required"],
  ])("rejects a bad %s", (field, change, description) => {
    const req = create(ListWorkspaceSessionsRequestSchema, { workspaceId: "ws-1", ...change });
    expect(violationsOf(() => validateListSessionsRequest(req))).toEqual([{ field, description }]);
  });

  it("reports every bad field in one error", () => {
    const req = create(ListWorkspaceSessionsRequestSchema, {
      workspaceId: "w".repeat(65),
      machineId: "-m",
      state: -3 as SessionState,
      pageSize: 1000,
      pageToken: "t".repeat(600),
    });
    expect(violationsOf(() => validateListSessionsRequest(req)).map((v) => v.field)).toEqual([
      "workspace_id",
      "machine_id",
      "state",
      "page_size",
      "page_token",
    ]);
  });
});

describe("validateMachineId", () => {
  it("accepts an id", () => {
    expect(() => validateMachineId("machine-01")).not.toThrow();
  });

  it.each([
    ["", "is required"],
    ["m".repeat(65), ID_RULE],
    ["m\u0430chine", ID_RULE],
  ])("rejects %j", (machineId, description) => {
    expect(violationsOf(() => validateMachineId(machineId))).toEqual([{ field: "machine_id", description }]);
  });
});

describe("validateListMachinesRequest", () => {
  it.each(["", "ws-1"])("accepts workspace_id %j", (workspaceId) => {
    expect(() => validateListMachinesRequest(create(ListMachinesRequestSchema, { workspaceId }))).not.toThrow();
  });

  it("rejects a malformed workspace_id", () => {
    const req = create(ListMachinesRequestSchema, { workspaceId: "ws 1" });
    expect(violationsOf(() => validateListMachinesRequest(req))).toEqual([
      { field: "workspace_id", description: ID_RULE },
    ]);
  });
});
