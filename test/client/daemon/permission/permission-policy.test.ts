import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { parseSessionPolicy, relaysRequests, sessionPolicyOf } from "../../../../client/daemon/permission/permission-policy.js";
import { PermissionPolicySchema } from "../../../../gen/workspaces/v1/permission_pb.js";

const policy = (init: Parameters<typeof create<typeof PermissionPolicySchema>>[1]) => create(PermissionPolicySchema, init);

describe("sessionPolicyOf", () => {
  it("is undefined for a launch without a policy (a server that predates permissions)", () => {
    expect(sessionPolicyOf(undefined)).toBeUndefined();
  });

  it("takes the mode, timeout and default decision of the policy", () => {
    expect(sessionPolicyOf(policy({ mode: "accept_edits", approvalTimeout: { seconds: 90n, nanos: 500_000_000 }, defaultDecision: "allow" }))).toEqual({
      mode: "accept_edits",
      approval_timeout_ms: 90_500,
      default_decision: "allow",
    });
  });

  it("fills what the policy leaves empty: default mode, 10 minutes, deny", () => {
    expect(sessionPolicyOf(policy({}))).toEqual({ mode: "default", approval_timeout_ms: 600_000, default_decision: "deny" });
  });

  it("refuses a mode or decision it does not know", () => {
    expect(() => sessionPolicyOf(policy({ mode: "yolo" }))).toThrow(expect.objectContaining({ code: "unsupported_permission_mode" }));
    expect(() => sessionPolicyOf(policy({ mode: "plan", defaultDecision: "ask" }))).toThrow(/default decision "ask"/);
  });
});

describe("relaysRequests", () => {
  it("relays Claude Code's requests in every mode but bypass_permissions, and never Codex's", () => {
    expect(["plan", "default", "accept_edits", "bypass_permissions"].map((mode) => relaysRequests("claude_code", mode as "plan"))).toEqual([true, true, true, false]);
    expect(relaysRequests("codex", "default")).toBe(false);
  });
});

describe("parseSessionPolicy", () => {
  it("reads back a policy.json and rejects anything else", () => {
    const good = { mode: "plan", approval_timeout_ms: 1000, default_decision: "deny" };
    expect(parseSessionPolicy(good)).toEqual(good);
    expect(parseSessionPolicy({ ...good, mode: "other" })).toBeUndefined();
    expect(parseSessionPolicy({ ...good, approval_timeout_ms: 0 })).toBeUndefined();
    expect(parseSessionPolicy(null)).toBeUndefined();
  });
});
