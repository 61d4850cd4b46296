import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  ListSessionMessagesRequestSchema,
  SendSessionMessageRequestSchema,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { validateListMessagesRequest, validateSendMessageRequest } from "../../../server/validation/validate-message-requests.js";
import { violationsOf } from "./violations-of.js";

const list = (init: Record<string, unknown>) => create(ListSessionMessagesRequestSchema, { workspaceId: "ws", sessionId: "s1", ...init });
const send = (text: string) => create(SendSessionMessageRequestSchema, { workspaceId: "ws", sessionId: "s1", text });

describe("validateListMessagesRequest", () => {
  it("accepts a page in range and a before above after", () => {
    expect(() => validateListMessagesRequest(list({ pageSize: 1000, afterSequence: 2n, beforeSequence: 9n }))).not.toThrow();
  });

  it("names each bad field", () => {
    const fields = violationsOf(() => validateListMessagesRequest(list({ sessionId: "", pageSize: 1001, afterSequence: 5n, beforeSequence: 5n }))).map((v) => v.field);
    expect(fields).toEqual(["session_id", "page_size", "before_sequence"]);
  });
});

describe("validateSendMessageRequest", () => {
  it("accepts a message of up to 64 KiB", () => {
    expect(() => validateSendMessageRequest(send("é".repeat(32 * 1024)))).not.toThrow();
  });

  it.each([
    ["", "must not be empty"],
    ["  \n", "must not be empty"],
    ["x".repeat(64 * 1024 + 1), "at most 65536 bytes"],
    ["a\0b", "NUL"],
  ])("refuses the text %j", (text, description) => {
    expect(violationsOf(() => validateSendMessageRequest(send(text)))).toEqual([{ field: "text", description: expect.stringContaining(description) }]);
  });
});
