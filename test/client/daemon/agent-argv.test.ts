import { describe, expect, it } from "vitest";
import { buildAgentArgv, defaultAgentBins, permissionPromptTool } from "../../../client/daemon/agent-argv.js";
import type { permissionModes } from "../../../client/daemon/permission/permission-policy.js";

const bins = { claude: "/opt/bin/claude", codex: "/opt/bin/codex" };
const sessionId = "6f1c2a44-1b7e-4c53-9d8a-0a4c1f2e3b5d";

describe("buildAgentArgv", () => {
  it("starts a new claude session with the generated session id", () => {
    expect(buildAgentArgv({ provider: "claude_code", bins, agentSessionId: sessionId })).toEqual({
      bin: "/opt/bin/claude",
      args: ["--print", "--output-format", "stream-json", "--verbose", "--session-id", sessionId],
    });
  });

  it("passes the claude model and the prompt after --", () => {
    expect(
      buildAgentArgv({ provider: "claude_code", bins, agentSessionId: sessionId, model: "haiku", prompt: "fix it" })
        .args,
    ).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--session-id",
      sessionId,
      "--model",
      "haiku",
      "--",
      "fix it",
    ]);
  });

  it("resumes a claude session instead of naming a new one", () => {
    expect(
      buildAgentArgv({ provider: "claude_code", bins, agentSessionId: sessionId, resumeSessionId: "abc-123" }).args,
    ).toEqual(["--print", "--output-format", "stream-json", "--verbose", "--resume", "abc-123"]);
  });

  it("keeps a prompt that starts with - behind --", () => {
    const { args } = buildAgentArgv({
      provider: "claude_code",
      bins,
      agentSessionId: sessionId,
      prompt: "--dangerously-skip-permissions",
    });
    expect(args.slice(-2)).toEqual(["--", "--dangerously-skip-permissions"]);
    expect(args.indexOf("--dangerously-skip-permissions")).toBe(args.length - 1);
  });

  it("builds codex exec with model, reasoning effort, resume and prompt", () => {
    expect(
      buildAgentArgv({
        provider: "codex",
        bins,
        agentSessionId: "",
        model: "gpt-5.1-codex-max",
        thinking: "high",
        resumeSessionId: "thread-9",
        prompt: "-v please",
      }),
    ).toEqual({
      bin: "/opt/bin/codex",
      args: [
        "exec",
        "--json",
        "--model",
        "gpt-5.1-codex-max",
        "-c",
        "model_reasoning_effort=high",
        "resume",
        "thread-9",
        "--",
        "-v please",
      ],
    });
  });

  it("builds a bare codex exec when nothing is given", () => {
    expect(buildAgentArgv({ provider: "codex", bins, agentSessionId: "" }).args).toEqual(["exec", "--json"]);
  });

  it("treats empty strings as not given", () => {
    expect(
      buildAgentArgv({ provider: "codex", bins, agentSessionId: "", model: "", thinking: "", prompt: "" }).args,
    ).toEqual(["exec", "--json"]);
  });
});

describe("buildAgentArgv with a permission mode", () => {
  const mcpConfigPath = "/state/agents/s1.permissions/mcp-config.json";
  const claude = (mode: (typeof permissionModes)[number], extra: object = {}) =>
    buildAgentArgv({ provider: "claude_code", bins, agentSessionId: sessionId, permission: { mode, mcpConfigPath }, ...extra }).args;

  it("gives claude the permission server and its prompt tool in the modes that ask", () => {
    expect(permissionPromptTool).toBe("mcp__wsctl__approve");
    const relay = ["--mcp-config", mcpConfigPath, "--permission-prompt-tool", "mcp__wsctl__approve"];
    expect(claude("default")).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--session-id",
      sessionId,
      "--permission-mode",
      "default",
      ...relay,
    ]);
    expect(claude("accept_edits").slice(6)).toEqual(["--permission-mode", "acceptEdits", ...relay]);
    expect(claude("plan").slice(6)).toEqual(["--permission-mode", "plan", ...relay]);
  });

  it("gives claude only --permission-mode bypassPermissions when nothing is asked", () => {
    expect(claude("bypass_permissions").slice(6)).toEqual(["--permission-mode", "bypassPermissions"]);
  });

  it("keeps the permission flags before the prompt, after the model and the stream-json input", () => {
    const args = claude("default", { model: "haiku", prompt: "-rf" });
    expect(args.slice(6)).toEqual([
      "--model",
      "haiku",
      "--permission-mode",
      "default",
      "--mcp-config",
      mcpConfigPath,
      "--permission-prompt-tool",
      "mcp__wsctl__approve",
      "--",
      "-rf",
    ]);
    expect(args.indexOf("--permission-mode")).toBeGreaterThan(args.indexOf("--model"));
    const streamed = claude("accept_edits", { streamInput: true, prompt: "hi" });
    expect(streamed.slice(4, 6)).toEqual(["--input-format", "stream-json"]);
    expect(streamed).not.toContain("--");
  });

  it("starts claude without the permission server when no config was written", () => {
    const { args } = buildAgentArgv({ provider: "claude_code", bins, agentSessionId: sessionId, permission: { mode: "default" } });
    expect(args.slice(6)).toEqual(["--permission-mode", "default"]);
  });

  it("maps each mode to the closest codex sandbox, before resume and the prompt", () => {
    const codex = (mode: (typeof permissionModes)[number]) =>
      buildAgentArgv({ provider: "codex", bins, agentSessionId: "", resumeSessionId: "thread-9", prompt: "go", permission: { mode, mcpConfigPath } }).args;
    expect(codex("plan")).toEqual(["exec", "--json", "--sandbox", "read-only", "resume", "thread-9", "--", "go"]);
    expect(codex("default")).toEqual(["exec", "--json", "--sandbox", "workspace-write", "resume", "thread-9", "--", "go"]);
    expect(codex("accept_edits")).toEqual(["exec", "--json", "--full-auto", "resume", "thread-9", "--", "go"]);
    expect(codex("bypass_permissions")).toEqual(["exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "resume", "thread-9", "--", "go"]);
  });

  it("builds today's argv exactly without a policy", () => {
    const without = buildAgentArgv({ provider: "claude_code", bins, agentSessionId: sessionId, model: "m", prompt: "p" }).args;
    expect(without.some((arg) => arg.startsWith("--permission") || arg === "--mcp-config")).toBe(false);
    expect(buildAgentArgv({ provider: "codex", bins, agentSessionId: "", prompt: "p" }).args).toEqual(["exec", "--json", "--", "p"]);
  });
});

describe("defaultAgentBins", () => {
  it("reads WSCTL_CLAUDE_BIN and WSCTL_CODEX_BIN", () => {
    expect(defaultAgentBins({ WSCTL_CLAUDE_BIN: "/x/claude", WSCTL_CODEX_BIN: "/y/codex" })).toEqual({
      claude: "/x/claude",
      codex: "/y/codex",
    });
  });

  it("defaults to claude and codex on PATH", () => {
    expect(defaultAgentBins({ WSCTL_CLAUDE_BIN: "" })).toEqual({ claude: "claude", codex: "codex" });
  });
});
