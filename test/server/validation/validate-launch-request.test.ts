import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { LaunchWorkspaceSessionRequestSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import { validateLaunchRequest } from "../../../server/validation/validate-launch-request.js";
import { violationsOf } from "./violations-of.js";

/** The seed page's request body, placeholders as null, plus the path's workspace_id. */
function seedJson(): JsonObject {
  return {
    workspace_id: "ws-1",
    machine_id: null,
    user_session_id: null,
    metadata: {},
    initial_prompt: null,
    worktree_name: null,
    session_settings: {
      code: {
        mode: "agent",
        default_provider: "claude_code",
        providers: {
          claude_code: { model: "haiku" },
          codex: { model: "gpt-5.1-codex-max", thinking: "low" },
        },
      },
      voice: { language: null },
    },
    resume_session_id: null,
    agent_session_id: null,
  };
}

/** A request from the seed body with `changes` applied at dotted proto paths. */
function request(changes: Record<string, JsonValue> = {}) {
  const json = seedJson();
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(".");
    let node = json;
    for (const key of keys.slice(0, -1)) node = node[key] as JsonObject;
    node[keys.at(-1)!] = value;
  }
  return fromJson(LaunchWorkspaceSessionRequestSchema, json);
}

/** Nested objects `levels` deep, the outermost being level 1. */
function nested(levels: number): JsonObject {
  let value: JsonObject = { leaf: true };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

const EMPTY = "must not be empty; omit it or send null";

describe("validateLaunchRequest", () => {
  it("accepts the seed request and plans a Claude Code launch with its model", () => {
    const plan = validateLaunchRequest(request());
    expect(plan).toEqual({
      workspaceId: "ws-1",
      provider: "claude_code",
      mode: "agent",
      model: "haiku",
      metadata: {},
    });
    expect(plan.thinking).toBeUndefined();
    expect(plan.prompt).toBeUndefined();
  });

  it("plans a Codex launch with the Codex model and thinking", () => {
    const plan = validateLaunchRequest(request({ "session_settings.code.default_provider": "codex" }));
    expect(plan.provider).toBe("codex");
    expect(plan.model).toBe("gpt-5.1-codex-max");
    expect(plan.thinking).toBe("low");
  });

  it("defaults to Claude Code, agent mode and empty metadata when only workspace_id is given", () => {
    const plan = validateLaunchRequest(fromJson(LaunchWorkspaceSessionRequestSchema, { workspaceId: "ws-1" }));
    expect(plan).toEqual({ workspaceId: "ws-1", provider: "claude_code", mode: "agent", metadata: {} });
  });

  it("carries every given field into the plan", () => {
    const metadata = { source: "ide", tags: ["a", "b"], n: 3 };
    const plan = validateLaunchRequest(
      request({
        machine_id: "m-1",
        user_session_id: "us-1",
        metadata,
        initial_prompt: "fix the tests",
        worktree_name: "feature/x",
        resume_session_id: "0b4d2f4e-6c1f-4c1e-9a3e-2f1b7d9e8c01",
        "session_settings.voice.language": "en-US",
      }),
    );
    expect(plan).toEqual({
      workspaceId: "ws-1",
      machineId: "m-1",
      userSessionId: "us-1",
      provider: "claude_code",
      mode: "agent",
      model: "haiku",
      prompt: "fix the tests",
      worktreeName: "feature/x",
      resumeSessionId: "0b4d2f4e-6c1f-4c1e-9a3e-2f1b7d9e8c01",
      language: "en-US",
      metadata,
    });
  });

  it("treats an empty initial_prompt as no prompt", () => {
    expect(validateLaunchRequest(request({ initial_prompt: "" })).prompt).toBeUndefined();
  });

  it("rejects an empty workspace_id as required", () => {
    expect(violationsOf(() => validateLaunchRequest(request({ workspace_id: "" })))).toEqual([
      { field: "workspace_id", description: "is required" },
    ]);
  });

  const OPTIONAL_STRINGS: [string, string][] = [
    ["machine_id", "m-1"],
    ["user_session_id", "us-1"],
    ["worktree_name", "feature/x"],
    ["resume_session_id", "r-1"],
    ["agent_session_id", "a-1"],
    ["session_settings.code.mode", "agent"],
    ["session_settings.code.default_provider", "codex"],
    ["session_settings.code.providers.claude_code.model", "sonnet"],
    ["session_settings.code.providers.codex.model", "gpt-5"],
    ["session_settings.code.providers.codex.thinking", "high"],
    ["session_settings.voice.language", "de-CH"],
  ];

  it.each(OPTIONAL_STRINGS)("accepts %s as null, absent or a good value, and rejects it as \"\"", (field, good) => {
    expect(() => validateLaunchRequest(request({ [field]: null }))).not.toThrow();
    expect(() => validateLaunchRequest(request({ [field]: good }))).not.toThrow();
    const absent = request();
    expect(() => validateLaunchRequest(absent)).not.toThrow();
    expect(violationsOf(() => validateLaunchRequest(request({ [field]: "" })))).toEqual([
      { field, description: EMPTY },
    ]);
  });

  it.each<[string, JsonValue, RegExp]>([
    ["workspace_id", "w".repeat(65), /^must be 1-64 characters/],
    ["workspace_id", "ws/1", /^must be 1-64 characters/],
    ["machine_id", "m".repeat(65), /^must be 1-64 characters/],
    ["user_session_id", "-us", /^must be 1-64 characters/],
    ["worktree_name", "a..b", /^must be a safe git branch name: no '\.\.'/],
    ["worktree_name", "main.lock", /no trailing/],
    ["worktree_name", "m\u0430in", /only ASCII/],
    ["resume_session_id", "--dangerously-skip-permissions", /^must be 1-128 characters/],
    ["agent_session_id", "a b", /^must be 1-128 characters/],
    ["session_settings.code.mode", "chat", /^must be one of: agent$/],
    ["session_settings.code.default_provider", "openai", /^must be one of: claude_code, codex$/],
    ["session_settings.code.providers.claude_code.model", "-haiku", /^must be 1-100 characters/],
    ["session_settings.code.providers.codex.model", "gpt 5", /^must be 1-100 characters/],
    ["session_settings.code.providers.codex.thinking", "extreme", /^must be one of: minimal, low, medium, high, xhigh$/],
    ["session_settings.voice.language", "en_US", /^must be a BCP 47 language tag/],
  ])("rejects %s = %j", (field, value, description) => {
    const violations = violationsOf(() => validateLaunchRequest(request({ [field]: value })));
    expect(violations).toHaveLength(1);
    expect(violations[0]!.field).toBe(field);
    expect(violations[0]!.description).toMatch(description);
  });

  it("validates the provider settings that are not chosen too", () => {
    const violations = violationsOf(() =>
      validateLaunchRequest(request({ "session_settings.code.providers.codex.thinking": "extreme" })),
    );
    expect(violations.map((v) => v.field)).toEqual(["session_settings.code.providers.codex.thinking"]);
  });

  it("rejects resume_session_id with agent_session_id, saying which", () => {
    expect(violationsOf(() => validateLaunchRequest(request({ resume_session_id: "r-1", agent_session_id: "a-1" }))))
      .toEqual([{ field: "agent_session_id", description: expect.stringMatching(/^must not be combined with resume_session_id/) }]);
  });

  it("rejects user_session_id with agent_session_id, saying which", () => {
    expect(violationsOf(() => validateLaunchRequest(request({ user_session_id: "us-1", agent_session_id: "a-1" }))))
      .toEqual([{ field: "agent_session_id", description: expect.stringMatching(/^must not be combined with user_session_id/) }]);
  });

  it("accepts user_session_id with resume_session_id", () => {
    const plan = validateLaunchRequest(request({ user_session_id: "us-1", resume_session_id: "r-1" }));
    expect(plan).toMatchObject({ userSessionId: "us-1", resumeSessionId: "r-1" });
  });

  it("collects every violation of a request into one error", () => {
    let thrown: unknown;
    const bad = request({
      workspace_id: "",
      machine_id: "m".repeat(65),
      worktree_name: "--force",
      initial_prompt: "a\0b",
      "session_settings.code.mode": "",
      "session_settings.code.providers.claude_code.model": "-haiku",
      "session_settings.code.providers.codex.thinking": "extreme",
      "session_settings.voice.language": "english!",
      resume_session_id: "r-1",
      agent_session_id: "a-1",
    });
    const violations = violationsOf(() => {
      try {
        validateLaunchRequest(bad);
      } catch (err) {
        thrown = err;
        throw err;
      }
    });
    expect(violations.map((v) => v.field)).toEqual([
      "workspace_id",
      "machine_id",
      "initial_prompt",
      "worktree_name",
      "session_settings.code.mode",
      "session_settings.code.providers.claude_code.model",
      "session_settings.code.providers.codex.thinking",
      "session_settings.voice.language",
      "agent_session_id",
    ]);
    // The message names every field too, for callers that only read it.
    const message = (thrown as ConnectError).rawMessage;
    for (const v of violations) expect(message).toContain(`${v.field}: ${v.description}`);
  });

  describe("initial_prompt cap", () => {
    const LIMIT = 64 * 1024;

    it.each([
      ["ASCII", "a", 1],
      ["2-byte UTF-8", "\u00e9", 2],
      ["3-byte UTF-8", "\u20ac", 3],
      ["4-byte UTF-8 (surrogate pair)", "\u{1f600}", 4],
    ])("counts %s in UTF-8 bytes, not characters", (_name, unit, bytes) => {
      const count = Math.floor(LIMIT / bytes);
      const fits = unit.repeat(count) + "a".repeat(LIMIT - count * bytes); // exactly 64 KiB
      expect(validateLaunchRequest(request({ initial_prompt: fits })).prompt).toBe(fits);
      const over = `${fits}${unit}`;
      // Multi-byte prompts go over the cap while well under it in characters.
      if (bytes > 1) expect(over.length).toBeLessThan(LIMIT);
      expect(violationsOf(() => validateLaunchRequest(request({ initial_prompt: over })))).toEqual([
        {
          field: "initial_prompt",
          description: `must be at most 65536 bytes as UTF-8 (64 KiB); got ${LIMIT + bytes}`,
        },
      ]);
    });

    it("counts a lone surrogate as the 3 bytes of its replacement character", () => {
      // fromJson refuses lone surrogates; a message built in code can carry them.
      const withPrompt = (initialPrompt: string) =>
        create(LaunchWorkspaceSessionRequestSchema, { workspaceId: "ws-1", initialPrompt });
      const fits = "\ud800".repeat(Math.floor(LIMIT / 3));
      expect(() => validateLaunchRequest(withPrompt(fits))).not.toThrow();
      const [v] = violationsOf(() => validateLaunchRequest(withPrompt(`${fits}\ud800\ud800`)));
      expect(v).toEqual({ field: "initial_prompt", description: `must be at most 65536 bytes as UTF-8 (64 KiB); got ${LIMIT + 5}` });
    });

    it("rejects NUL characters", () => {
      expect(violationsOf(() => validateLaunchRequest(request({ initial_prompt: "hi\0there" })))).toEqual([
        { field: "initial_prompt", description: "must not contain NUL characters" },
      ]);
    });
  });

  describe("metadata caps", () => {
    // {"k":"<n chars>"} is 8 bytes plus the value's bytes.
    it.each([
      ["ASCII", "x", 1],
      ["2-byte UTF-8", "\u00e9", 2],
    ])("allows 16 KiB of JSON and rejects one byte more (%s)", (_name, unit, bytes) => {
      const fits = { k: unit.repeat((16384 - 8) / bytes) };
      expect(validateLaunchRequest(request({ metadata: fits })).metadata).toEqual(fits);
      const over = { k: unit.repeat((16384 - 8) / bytes + 1) };
      expect(violationsOf(() => validateLaunchRequest(request({ metadata: over })))).toEqual([
        { field: "metadata", description: `must be at most 16384 bytes as JSON (16 KiB); got ${16384 + bytes}` },
      ]);
    });

    it("allows objects nested 16 levels deep and rejects 17", () => {
      expect(() => validateLaunchRequest(request({ metadata: nested(16) }))).not.toThrow();
      expect(violationsOf(() => validateLaunchRequest(request({ metadata: nested(17) })))).toEqual([
        { field: "metadata", description: "must not nest objects and arrays more than 16 levels deep" },
      ]);
    });

    it("counts arrays as levels", () => {
      let list: JsonValue = [1];
      for (let i = 2; i < 16; i++) list = [list];
      expect(() => validateLaunchRequest(request({ metadata: { list } }))).not.toThrow();
      expect(violationsOf(() => validateLaunchRequest(request({ metadata: { list: [list] } })))[0]!.field).toBe(
        "metadata",
      );
    });
  });
});
