import { describe, expect, it } from "vitest";
import { buildAgentArgv, defaultAgentBins } from "../../../client/daemon/agent-argv.js";

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
