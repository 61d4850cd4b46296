import { unlinkSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll-until.js";
import { mountSmallTmpfs, skipWithoutTmpfs } from "../support/small-tmpfs.js";
import { readAgentStarts } from "./harness/audit-launches.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack, testEngine } from "./harness/start-stack.js";

// The faults of a SQLite file: on PostgreSQL there is no file to delete or disk to fill here.
const onPostgres = testEngine === "postgres";
if (onPostgres) console.warn("[skip] store faults of the SQLite file: the stack runs on PostgreSQL");

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

function launch(s: Stack, tag: string): Promise<Response> {
  return fetch(`${s.url}/api/v1/workspaces/${s.workspaceId}/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify(seedRequest({ worktree_name: tag, initial_prompt: `exit:0:60000:${tag}` })),
  });
}

async function readyz(s: Stack): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${s.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** What reached the daemon: launch commands in its log, and stand-in agents started. */
function reached(s: Stack): { commands: number; starts: number } {
  const commands = (s.daemon?.stderr() ?? "").split("\n").filter((l) => l.includes("launch command ")).length;
  const starts = [...readAgentStarts(s.recordDir).values()].reduce((n, list) => n + list.length, 0);
  return { commands, starts };
}

async function launchOk(s: Stack, tag: string): Promise<string> {
  const res = await launch(s, tag);
  const body = (await res.json()) as { status?: string; payload?: { session_id?: string } };
  expect({ http: res.status, status: body.status }).toEqual({ http: 200, status: "ok" });
  return body.payload?.session_id ?? "";
}

describe.skipIf(onPostgres)("wsctl serve with its database file deleted", () => {
  it("answers launches unavailable (503), reports unready, and pushes nothing to the daemon", async () => {
    stack = await startStack();
    await launchOk(stack, "before");
    const before = await pollUntil(() => (reached(stack!).starts === 1 ? reached(stack!) : undefined), { what: "the first agent" });
    unlinkSync(stack.database);
    const res = await launch(stack, "after");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: "unavailable", message: expect.stringMatching(/database file deleted/) });
    const ready = await readyz(stack);
    expect(ready).toMatchObject({ status: 503, body: { status: "not_ready", store: expect.stringMatching(/database file deleted: restore it and restart the server/) } });
    expect(await launch(stack, "again").then((r) => r.status)).toBe(503);
    expect(reached(stack)).toEqual(before);
  }, 60_000);
});

const tmpfs = onPostgres ? "the stack runs on PostgreSQL" : await mountSmallTmpfs(8 * 1024 * 1024);
afterAll(async () => {
  if (typeof tmpfs !== "string") await tmpfs.unmount();
});

describe.skipIf(onPostgres || skipWithoutTmpfs("wsctl serve on a full disk", tmpfs))("wsctl serve on a full disk (a small tmpfs)", () => {
  it("answers launches unavailable while the disk is full, pushes nothing, reports unready, and launches again once space is freed", async () => {
    if (typeof tmpfs === "string") throw new Error(tmpfs);
    stack = await startStack({ databaseDir: tmpfs.dir });
    const first = await launchOk(stack, "before");
    const before = await pollUntil(() => (reached(stack!).starts === 1 ? reached(stack!) : undefined), { what: "the first agent" });
    await tmpfs.fill();
    try {
      const res = await launch(stack, "full");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: "unavailable", message: "database unavailable: disk full" });
      expect(await readyz(stack)).toMatchObject({ status: 503, body: { status: "not_ready", store: "database unavailable: disk full" } });
      expect(reached(stack)).toEqual(before);
    } finally {
      await tmpfs.free();
    }
    await pollUntil(async () => (await readyz(stack!)).status === 200, { timeoutMs: 10_000, what: "/readyz to be ready again" });
    await launchOk(stack, "freed");
    const kept = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions/${first}`, {
      headers: { authorization: `Bearer ${stack.apiToken}` },
    });
    expect(kept.status).toBe(200);
    expect(reached(stack).commands).toBe(before.commands + 1);
  }, 60_000);
});
