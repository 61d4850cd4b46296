import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { askDaemon, markDelivered, toolAnswer } from "../../../../client/daemon/permission/ask-daemon.js";
import {
  createJsonFileOnce,
  listRequests,
  readAsk,
  readVerdict,
  requestFile,
  writeJsonFile,
} from "../../../../client/daemon/permission/permission-files.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-permissions-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const policy = (decision: "allow" | "deny", timeoutMs = 600_000) =>
  writeJsonFile(path.join(dir, "policy.json"), { mode: "default", approval_timeout_ms: timeoutMs, default_decision: decision });
const bash = { tool_name: "Bash", input: { command: "npm test" }, tool_use_id: "toolu_1", reason: "Run the tests" };
const decide = (requestId: string, decision: "allow" | "deny", extra: object = {}) =>
  createJsonFileOnce(requestFile(dir, requestId, "decision.json"), {
    request_id: requestId,
    decision,
    message: "",
    remember: false,
    decided_by: "tok_1",
    decide_time: "2026-12-01T10:00:00.000Z",
    ...extra,
  });

describe("askDaemon", () => {
  it("writes the request for the daemon and resolves with the decision written for it", async () => {
    policy("deny");
    const asked = askDaemon(bash, { dir, pollMs: 5 });
    await expect.poll(() => listRequests(dir)).toHaveLength(1);
    const [id] = listRequests(dir);
    expect(readAsk(dir, id!)).toEqual({ request_id: id, ...bash, create_time: expect.any(String) });
    expect(decide(id!, "allow", { updated_input: { command: "npm test -- --run" } })).toBe(true);
    const result = await asked;
    expect(result?.requestId).toBe(id);
    expect(result?.verdict).toMatchObject({ decision: "allow", decided_by: "tok_1", updated_input: { command: "npm test -- --run" } });
    expect(toolAnswer(bash, result!.verdict)).toBe('{"behavior":"allow","updatedInput":{"command":"npm test -- --run"}}');
  });

  it("gives up with the policy's default decision when nobody decides in time, decided by timeout", async () => {
    policy("allow");
    const result = await askDaemon(bash, { dir, pollMs: 5, giveUpMs: 50 });
    expect(result?.verdict).toMatchObject({ decision: "allow", decided_by: "timeout" });
    // Written for the daemon too: it forwards the decision once it runs again.
    expect(readVerdict(dir, result!.requestId)).toMatchObject({ decision: "allow", decided_by: "timeout" });
  });

  it("denies by default when the directory has no policy", async () => {
    const result = await askDaemon(bash, { dir, pollMs: 5, giveUpMs: 30 });
    expect(result?.verdict).toMatchObject({ decision: "deny", decided_by: "timeout" });
    expect(JSON.parse(toolAnswer(bash, result!.verdict))).toEqual({ behavior: "deny", message: expect.stringContaining("default decision (deny)") });
  });

  it("takes a decision the daemon wrote first over its own when both come at once", async () => {
    policy("deny");
    let now = 0;
    const asked = askDaemon(bash, { dir, pollMs: 5, giveUpMs: 1_000, now: () => now });
    await expect.poll(() => listRequests(dir)).toHaveLength(1);
    const [id] = listRequests(dir);
    expect(decide(id!, "allow")).toBe(true);
    now = 10_000;
    expect((await asked)?.verdict).toMatchObject({ decision: "allow", decided_by: "tok_1" });
    // A second writer changes nothing.
    expect(decide(id!, "deny")).toBe(false);
    expect(readVerdict(dir, id!)?.decision).toBe("allow");
  });

  it("denies at once, saying why, when the request cannot be handed over", async () => {
    const result = await askDaemon(bash, { dir: path.join(dir, "gone"), pollMs: 5 });
    expect(result?.verdict.decision).toBe("deny");
    expect(result?.verdict.message).toContain("could not be handed to the wsctl daemon");
  });

  it("resolves undefined when its wait is cancelled", async () => {
    policy("deny");
    const abort = new AbortController();
    const asked = askDaemon(bash, { dir, pollMs: 5, signal: abort.signal });
    await expect.poll(() => listRequests(dir)).toHaveLength(1);
    abort.abort();
    expect(await asked).toBeUndefined();
  });
});

describe("markDelivered", () => {
  it("marks the request's decision as handed to the agent", () => {
    markDelivered(dir, "prq_1");
    expect(existsSync(requestFile(dir, "prq_1", "delivered"))).toBe(true);
  });
});

describe("toolAnswer", () => {
  it("allows with the agent's own input when the decision changed none, and denies with a message", () => {
    const verdict = { request_id: "prq_1", remember: false, decided_by: "tok_1", decide_time: "", message: "" };
    expect(JSON.parse(toolAnswer(bash, { ...verdict, decision: "allow" }))).toEqual({ behavior: "allow", updatedInput: bash.input });
    expect(JSON.parse(toolAnswer(bash, { ...verdict, decision: "deny" }))).toEqual({ behavior: "deny", message: "The user denied this tool use." });
    expect(JSON.parse(toolAnswer(bash, { ...verdict, decision: "deny", message: "use pnpm" }))).toEqual({ behavior: "deny", message: "use pnpm" });
  });
});
