import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPermissionRelays, type PermissionRelays } from "../../../../client/daemon/permission/create-permission-relays.js";
import { readVerdict, writeJsonFile } from "../../../../client/daemon/permission/permission-files.js";
import type { Transcripts } from "../../../../client/daemon/transcript/create-transcripts.js";
import type { DaemonEntry } from "../../../../client/daemon/transcript/transcript-entry.js";
import { PermissionAnswerCommandSchema } from "../../../../gen/workspaces/v1/daemon_service_pb.js";

let base: string;
let relays: PermissionRelays | undefined;
beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), "wsctl-relays-"));
});
afterEach(async () => {
  relays?.stopAll();
  await rm(base, { recursive: true, force: true });
});

// Now: a request of the past would be past its expiry, and the fallback would decide it.
const createTime = Date.now();
const dirOf = (sessionId: string) => path.join(base, `${sessionId}.permissions`);

/** A session's permission directory holding one request, as the permission server writes it. */
function seed(sessionId: string, requestId: string, decision: "allow" | "deny" = "deny") {
  const dir = dirOf(sessionId);
  mkdirSync(dir, { recursive: true });
  writeJsonFile(path.join(dir, "policy.json"), { mode: "default", approval_timeout_ms: 60_000, default_decision: decision });
  writeJsonFile(path.join(dir, `${requestId}.request.json`), {
    request_id: requestId,
    tool_name: "Bash",
    input: { command: "rm -rf dist" },
    tool_use_id: "toolu_9",
    reason: "Clean",
    create_time: new Date(createTime).toISOString(),
  });
  return dir;
}

function setUp(options: { now?: () => number; fallbackMs?: number } = {}) {
  const entries = new Map<string, DaemonEntry[]>();
  const transcripts = {
    append: async (sessionId: string, entry: DaemonEntry) => {
      const list = entries.get(sessionId) ?? [];
      entries.set(sessionId, list);
      list.push(entry);
      return list.length - 1;
    },
  } as unknown as Transcripts;
  const logs: string[] = [];
  relays = createPermissionRelays({ dirOf, transcripts, pollMs: 5, log: (line) => logs.push(line), ...options });
  return { relays, entries, logs, kinds: (sessionId: string) => (entries.get(sessionId) ?? []).map((e) => e.kind) };
}

const answer = (sessionId: string, requestId: string, decision: string, extra: object = {}) =>
  create(PermissionAnswerCommandSchema, { sessionId, request: { requestId, decision, decidedBy: "tok_7", decideTime: timestampFromMs(createTime + 5_000), ...extra } });

describe("createPermissionRelays", () => {
  it("forwards a request as a pending PERMISSION_REQUEST entry, expiring after the approval timeout", async () => {
    seed("s1", "prq_a");
    const { relays, entries, kinds } = setUp();
    relays.open("s1", "ws1");
    await expect.poll(() => kinds("s1")).toEqual(["permission_request"]);
    expect(entries.get("s1")![0]).toEqual({
      role: "system",
      kind: "permission_request",
      text: "permission requested: Bash: rm -rf dist",
      toolName: "Bash",
      toolInput: { command: "rm -rf dist" },
      toolCallId: "toolu_9",
      agentTime: createTime,
      permission: {
        requestId: "prq_a",
        sessionId: "s1",
        workspaceId: "ws1",
        toolName: "Bash",
        input: { command: "rm -rf dist" },
        reason: "Clean",
        toolUseId: "toolu_9",
        createTime,
        expireTime: createTime + 60_000,
      },
    });
  });

  it("writes an answer durably for the permission server and forwards the decision before acknowledging", async () => {
    const dir = seed("s1", "prq_a");
    const { relays, entries, kinds } = setUp();
    relays.open("s1", "ws1");
    await expect.poll(() => kinds("s1")).toEqual(["permission_request"]);
    const result = await relays.answer(answer("s1", "prq_a", "allow", { updatedInput: { command: "rm -rf dist/tmp" }, remember: true, message: "ok" }));
    expect(result).toEqual({ status: "ok", payload: { request_id: "prq_a", decision: "allow", decided_by: "tok_7" } });
    expect(readVerdict(dir, "prq_a")).toEqual({
      request_id: "prq_a",
      decision: "allow",
      message: "ok",
      updated_input: { command: "rm -rf dist/tmp" },
      remember: true,
      decided_by: "tok_7",
      decide_time: new Date(createTime + 5_000).toISOString(),
    });
    expect(kinds("s1")).toEqual(["permission_request", "permission_decision"]);
    expect(entries.get("s1")![1]).toMatchObject({
      role: "system",
      text: "permission allowed: Bash: rm -rf dist (decided by tok_7)",
      toolName: "Bash",
      toolCallId: "toolu_9",
      permission: { requestId: "prq_a", decision: "allow", decidedBy: "tok_7", decideTime: createTime + 5_000, updatedInput: { command: "rm -rf dist/tmp" }, remember: true, delivered: true },
    });
    // Once: later scans and repeats add nothing.
    await relays.answer(answer("s1", "prq_a", "allow"));
    await relays.finish("s1");
    expect(kinds("s1")).toEqual(["permission_request", "permission_decision"]);
  });

  it("forwards a decision the permission server wrote itself (it gave up while no daemon ran)", async () => {
    const dir = seed("s1", "prq_a");
    writeJsonFile(path.join(dir, "prq_a.decision.json"), { request_id: "prq_a", decision: "deny", message: "nobody", remember: false, decided_by: "timeout", decide_time: new Date().toISOString() });
    const { relays, entries, kinds } = setUp();
    relays.open("s1", "ws1");
    await expect.poll(() => kinds("s1")).toEqual(["permission_request", "permission_decision"]);
    expect(entries.get("s1")![1]?.permission).toMatchObject({ decision: "deny", decidedBy: "timeout", message: "nobody" });
  });

  it("acknowledges a repeat ok with the decision that stands, and never changes it", async () => {
    const dir = seed("s1", "prq_a");
    const { relays } = setUp();
    expect((await relays.answer(answer("s1", "prq_a", "deny"))).status).toBe("ok");
    expect(await relays.answer(answer("s1", "prq_a", "deny"))).toEqual({
      status: "ok",
      payload: { request_id: "prq_a", decision: "deny", decided_by: "tok_7", already_decided: true },
    });
    expect((await relays.answer(answer("s1", "prq_a", "allow"))).payload).toMatchObject({ decision: "deny", already_decided: true });
    expect(readVerdict(dir, "prq_a")?.decision).toBe("deny");
  });

  it("answers request_not_found for a request or session it never had, and refuses an unknown decision", async () => {
    seed("s1", "prq_a");
    const { relays } = setUp();
    const code = async (result: ReturnType<PermissionRelays["answer"]>) => ((await result).payload.error as { code: string }).code;
    expect(await code(relays.answer(answer("s1", "prq_b", "allow")))).toBe("request_not_found");
    expect(await code(relays.answer(answer("s2", "prq_a", "allow")))).toBe("request_not_found");
    expect(await code(relays.answer(answer("s1", "../s1.permissions/prq_a", "allow")))).toBe("request_not_found");
    expect(await code(relays.answer(answer("s1", "prq_a", "maybe")))).toBe("invalid_argument");
  });

  it("applies the default decision itself once the request is past its expiry and the fallback delay", async () => {
    const dir = seed("s1", "prq_a", "allow");
    let now = createTime + 60_000 + 29_000;
    const { relays, kinds } = setUp({ now: () => now, fallbackMs: 30_000 });
    relays.open("s1", "ws1");
    await expect.poll(() => kinds("s1")).toEqual(["permission_request"]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(readVerdict(dir, "prq_a")).toBeUndefined();
    now += 1_000;
    await expect.poll(() => readVerdict(dir, "prq_a")).toMatchObject({ decision: "allow", decided_by: "timeout" });
    await expect.poll(() => kinds("s1")).toEqual(["permission_request", "permission_decision"]);
  });

  it("resumes from the files: what an earlier daemon forwarded is not forwarded again", async () => {
    seed("s1", "prq_a");
    const first = setUp();
    first.relays.open("s1", "ws1");
    await expect.poll(() => first.kinds("s1")).toEqual(["permission_request"]);
    first.relays.stopAll();
    // Written, but the daemon stopped before it forwarded the decision.
    await first.relays.answer(answer("s1", "prq_a", "deny"));
    expect(first.kinds("s1")).toEqual(["permission_request"]);

    const second = setUp();
    second.relays.open("s1", "ws1");
    await second.relays.finish("s1");
    expect(second.kinds("s1")).toEqual(["permission_decision"]);
  });

  it("forwards once what a session that ended unwatched left, given its workspace", async () => {
    seed("s1", "prq_a");
    const { relays, kinds } = setUp();
    await relays.answer(answer("s1", "prq_a", "allow"));
    await relays.finish("s1", "ws1");
    expect(kinds("s1")).toEqual(["permission_request", "permission_decision"]);
  });
});
