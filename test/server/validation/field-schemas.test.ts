import { createRegistry, ScalarType } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { file_workspaces_v1_launch } from "../../../gen/workspaces/v1/launch_pb.js";
import { serviceFiles } from "../../../server/create-service-bindings.js";
import { bcp47Schema, checkBcp47 } from "../../../server/validation/check-bcp47.js";
import { checkWorktreeName, worktreeNameSchema, worktreeDirName } from "../../../server/validation/check-worktree-name.js";
import { fieldSchemas } from "../../../server/validation/field-schemas.js";
import {
  agentSessionIdSchema,
  checkAgentSessionId,
  checkId,
  checkMode,
  checkModel,
  checkProvider,
  checkThinking,
  idSchema,
  MODES,
  modelSchema,
  modeSchema,
  PROVIDERS,
  providerSchema,
  type RuleSchema,
  THINKING_LEVELS,
  thinkingSchema,
} from "../../../server/validation/field-rules.js";
import { promptSchema } from "../../../server/validation/validate-launch-request.js";
import { messageTextSchema, validateSendMessageRequest } from "../../../server/validation/validate-message-requests.js";
import { labelProblem, tokenIdSchema, tokenLabelSchema, validateRevokeApiTokenRequest } from "../../../server/validation/validate-token-requests.js";
import { jsonSchemaErrors } from "../../support/json-schema-errors.js";

const registry = createRegistry(file_workspaces_v1_launch, ...serviceFiles);

/** Whether the JSON Schema of a string with `rule` accepts `value`. */
const schemaAccepts = (rule: RuleSchema, value: string): boolean => jsonSchemaErrors({}, { type: "string", ...rule }, value).length === 0;
const passes = (fn: () => void): boolean => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

// Characters around the rules' edges: allowed ones, separators, look-alikes, controls, non-ASCII.
const edgy = fc.constantFrom(..."aZ09._-:/[]@~ \t\u0000\u007fé\u212a".split(""), "_", "/", ".", "-", ".lock", "HEAD", "x");
const strings = fc.oneof(fc.string({ unit: edgy, maxLength: 12 }), fc.string({ maxLength: 140 }), fc.string({ unit: fc.constantFrom("a", "1", "-", "."), minLength: 60, maxLength: 140 }));

describe("fieldSchemas", () => {
  it("names existing scalar fields of the API only", () => {
    expect(fieldSchemas.size).toBeGreaterThan(30);
    for (const [name, rule] of fieldSchemas) {
      const dot = name.lastIndexOf(".");
      const message = registry.getMessage(name.slice(0, dot));
      const field = message?.fields.find((f) => f.name === name.slice(dot + 1));
      expect(field, name).toBeDefined();
      const scalar = field!.fieldKind === "scalar" || (field!.fieldKind === "list" && field!.listKind === "scalar") ? field!.scalar : undefined;
      expect(scalar, name).toBeDefined();
      const numeric = rule.minimum !== undefined || rule.maximum !== undefined;
      expect(scalar === ScalarType.STRING, `${name} holds ${numeric ? "numbers" : "strings"}`).toBe(!numeric);
    }
  });

  it.each([
    ["idSchema", idSchema, checkId],
    ["agentSessionIdSchema", agentSessionIdSchema, checkAgentSessionId],
    ["modelSchema", modelSchema, checkModel],
    ["bcp47Schema", bcp47Schema, checkBcp47],
    ["modeSchema", modeSchema, checkMode],
    ["providerSchema", providerSchema, checkProvider],
    ["thinkingSchema", thinkingSchema, checkThinking],
  ] as const)("%s accepts exactly what its check accepts", (_name, rule, check) => {
    fc.assert(
      fc.property(strings, (value) => schemaAccepts(rule, value) === (check(value) === undefined)),
      { numRuns: 2_000 },
    );
    for (const value of [...MODES, ...PROVIDERS, ...THINKING_LEVELS, "en-US", "gpt-5.1-codex-max", "a".repeat(64), ""]) {
      expect(schemaAccepts(rule, value), value).toBe(check(value) === undefined);
    }
  });

  it("worktreeNameSchema accepts exactly what checkWorktreeName accepts, for every name whose directory fits", () => {
    const names = fc.oneof(strings, fc.array(edgy, { maxLength: 8 }).map((parts) => parts.join("")));
    fc.assert(
      fc.property(names, (value) => {
        const checked = checkWorktreeName(value) === undefined;
        if (worktreeDirName(value).length > 200) return !checked; // the one rule no pattern states
        return schemaAccepts(worktreeNameSchema, value) === checked;
      }),
      { numRuns: 5_000 },
    );
    for (const value of ["feature/x", "HEAD", "a.lock", "a/.b", "a__b", "a_/b", "-a", "a//b", "a..b", "x/HEAD", "_a", "a_"]) {
      expect(schemaAccepts(worktreeNameSchema, value), value).toBe(checkWorktreeName(value) === undefined);
    }
  });

  it("the prompt, message text, token label and token id schemas agree with their validators", () => {
    const request = { workspaceId: "ws", sessionId: "s1" };
    fc.assert(
      fc.property(strings, (value) => {
        expect(schemaAccepts(promptSchema, value)).toBe(!value.includes("\0"));
        const sendable = passes(() => validateSendMessageRequest({ ...request, text: value } as never));
        expect(schemaAccepts(messageTextSchema, value)).toBe(sendable);
        expect(schemaAccepts(tokenLabelSchema, value)).toBe(labelProblem(value) === undefined);
        const revocable = passes(() => validateRevokeApiTokenRequest({ workspaceId: "ws", tokenId: value } as never));
        expect(schemaAccepts(tokenIdSchema, value)).toBe(revocable);
        expect(schemaAccepts(tokenIdSchema, `tok_${value}`)).toBe(passes(() => validateRevokeApiTokenRequest({ workspaceId: "ws", tokenId: `tok_${value}` } as never)));
      }),
      { numRuns: 2_000 },
    );
    expect(schemaAccepts(messageTextSchema, " \n\t")).toBe(false);
  });
});
