import { describe, expect, it } from "vitest";
import { agentEnvironment } from "../../../client/daemon/agent-environment.js";

describe("agentEnvironment", () => {
  it("leaves every WSCTL_ variable out but the allowed ones, and keeps the rest", () => {
    const env = {
      PATH: "/usr/bin",
      HOME: "/home/u",
      ANTHROPIC_API_KEY: "sk-ant",
      WSCTL_TOKEN: "wsm_secret",
      WSCTL_TOKEN_FILE: "/etc/wsctl/token",
      WSCTL_SERVER: "https://ws",
      wsctl_token: "lower-case too",
      WSCTL_PROJECT_HINT: "shared",
      UNSET: undefined,
    };
    const out = agentEnvironment(env, ["WSCTL_PROJECT_HINT"]);
    expect(out).toEqual({ PATH: "/usr/bin", HOME: "/home/u", ANTHROPIC_API_KEY: "sk-ant", WSCTL_PROJECT_HINT: "shared" });
    expect(Object.values(out)).not.toContain("wsm_secret");
  });

  it("allows nothing by default", () => {
    expect(agentEnvironment({ WSCTL_TOKEN: "x", A: "1" }, [])).toEqual({ A: "1" });
  });
});
