import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CommandJournal,
  type CommandJournalOptions,
  commandJournalFile,
  createCommandJournal,
} from "../../../client/daemon/create-command-journal.js";

let base: string;
let counter = 0;
const open: CommandJournal[] = [];

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "wsctl-journal-"));
});

afterAll(async () => {
  for (const journal of open.splice(0)) await journal.close();
  await rm(base, { recursive: true, force: true });
});

const newFile = () => path.join(base, `state-${++counter}`, "commands", "journal.jsonl");

async function openJournal(file: string, options: Partial<CommandJournalOptions> = {}): Promise<CommandJournal> {
  const journal = createCommandJournal({ file, ...options });
  await journal.open();
  open.push(journal);
  return journal;
}

/** Closes `journal` and opens the same file again, as a restarted daemon does. */
async function reopen(journal: CommandJournal, options: Partial<CommandJournalOptions> = {}): Promise<CommandJournal> {
  await journal.close();
  return openJournal(journal.file, options);
}

const lines = async (file: string) => (await readFile(file, "utf8")).split("\n").filter((line) => line !== "");
const launch = (commandId: string, sessionId = `s-${commandId}`) => ({ commandId, kind: "launch", sessionId });
const ok = { status: "ok" as const, payload: { pid: 4242, work_dir: "/w", branch: "main" } };

describe("createCommandJournal", () => {
  it("persists a received command and its result, and reads them back after a restart", async () => {
    const journal = await openJournal(newFile());
    await journal.received(launch("c1", "s1"));
    expect(journal.get("c1")).toMatchObject({ commandId: "c1", kind: "launch", sessionId: "s1" });
    expect(journal.get("c1")?.result).toBeUndefined();
    await journal.finished("c1", ok);
    expect(journal.get("c1")?.result).toEqual(ok);

    const again = await reopen(journal);
    expect(again.get("c1")).toMatchObject({ commandId: "c1", kind: "launch", sessionId: "s1", result: ok });
    expect(again.get("c2")).toBeUndefined();
    expect(await lines(journal.file)).toEqual([
      expect.stringContaining('"op":"received","command_id":"c1","kind":"launch","session_id":"s1"'),
      expect.stringContaining('"op":"result","command_id":"c1","status":"ok","payload":{"pid":4242'),
    ]);
  });

  it("keeps a command received without a result as such after a restart (its run was interrupted)", async () => {
    const journal = await openJournal(newFile());
    await journal.received(launch("c1", "s1"));
    const again = await reopen(journal);
    expect(again.get("c1")).toMatchObject({ commandId: "c1", sessionId: "s1" });
    expect(again.get("c1")?.result).toBeUndefined();
  });

  it("creates its directory and file private to the user", async () => {
    const journal = await openJournal(newFile());
    await journal.received(launch("c1"));
    expect((await stat(journal.file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(journal.file))).mode & 0o777).toBe(0o700);
  });

  it("keeps only the newest maxEntries command ids, in memory and on disk", async () => {
    const journal = await openJournal(newFile(), { maxEntries: 3 });
    for (const id of ["c1", "c2", "c3", "c4", "c5"]) {
      await journal.received(launch(id));
      await journal.finished(id, ok);
    }
    expect(journal.size()).toBe(3);
    expect(journal.get("c2")).toBeUndefined();
    expect(journal.get("c3")?.result).toEqual(ok);

    const again = await reopen(journal, { maxEntries: 3 });
    expect(["c1", "c2", "c3", "c4", "c5"].map((id) => again.get(id) !== undefined)).toEqual([false, false, true, true, true]);
    // Rewritten at open with just what is kept: two lines per command.
    expect(await lines(journal.file)).toHaveLength(6);
  });

  it("compacts the file as it grows, so it stays within a few lines per kept id", async () => {
    const journal = await openJournal(newFile(), { maxEntries: 5 });
    // 60 ids, 120 lines: the file reaches its bound of 20 lines and is compacted several times.
    for (let i = 0; i < 60; i++) {
      await journal.received(launch(`c${i}`));
      await journal.finished(`c${i}`, ok);
      expect((await lines(journal.file)).length).toBeLessThanOrEqual(4 * 5);
    }
    const again = await reopen(journal, { maxEntries: 5 });
    expect(again.size()).toBe(5);
    expect(again.get("c59")?.result).toEqual(ok);
    expect(again.get("c54")).toBeUndefined();
  });

  it("drops command ids older than maxAgeMs", async () => {
    let now = Date.parse("2026-12-01T10:00:00Z");
    const day = 24 * 60 * 60 * 1000;
    const journal = await openJournal(newFile(), { now: () => now });
    await journal.received(launch("old"));
    await journal.finished("old", ok);
    now += 6 * day;
    await journal.received(launch("recent"));
    now += 2 * day;

    const again = await reopen(journal, { now: () => now });
    expect(again.get("old")).toBeUndefined();
    expect(again.get("recent")).toBeDefined();
    expect((await lines(journal.file)).some((line) => line.includes('"old"'))).toBe(false);
  });

  it("tolerates a torn last write: skips it, keeps the rest and appends cleanly after it", async () => {
    const journal = await openJournal(newFile());
    await journal.received(launch("c1"));
    await journal.finished("c1", ok);
    await journal.received(launch("c2"));
    await journal.close();
    // A crash in the middle of appending c2's result.
    await appendFile(journal.file, '{"v":1,"op":"result","command_id":"c2","status":"ok","payl');

    const logs: string[] = [];
    const again = await openJournal(journal.file, { log: (line) => logs.push(line) });
    expect(again.get("c1")?.result).toEqual(ok);
    expect(again.get("c2")).toMatchObject({ commandId: "c2" });
    expect(again.get("c2")?.result).toBeUndefined();
    expect(logs.join("\n")).toContain("skipped 1 torn or unreadable line");
    expect(await readFile(journal.file, "utf8")).toMatch(/\}\n$/);

    await again.received(launch("c3"));
    const third = await reopen(again);
    expect(["c1", "c2", "c3"].every((id) => third.get(id) !== undefined)).toBe(true);
  });

  it("skips lines that are not journal records", async () => {
    const file = newFile();
    const first = await openJournal(file);
    await first.received(launch("c1"));
    await first.close();
    await appendFile(file, 'not json\n{"v":1,"op":"result"}\n[1,2]\n{"v":1,"op":"what","command_id":"c9","at":"2026-12-01T10:00:00Z"}\n');
    const journal = await openJournal(file);
    expect(journal.size()).toBe(1);
    expect(await lines(file)).toHaveLength(1);
  });

  it("writes commands that arrive together durably, each promise settling once its line is on disk", async () => {
    const journal = await openJournal(newFile());
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((id) => journal.received(launch(id))));
    await Promise.all(ids.map((id) => journal.finished(id, ok)));
    const again = await reopen(journal);
    expect(ids.every((id) => again.get(id)?.result?.status === "ok")).toBe(true);
  });

  it("starts empty on a new file and an empty one", async () => {
    const file = newFile();
    const journal = await openJournal(file);
    expect(journal.size()).toBe(0);
    await journal.close();
    await writeFile(file, "");
    expect((await openJournal(file)).size()).toBe(0);
  });
});

describe("commandJournalFile", () => {
  it("names the journal after a hash of the machine token, never the token", () => {
    const file = commandJournalFile("/state", "wsm_secret");
    expect(file).toMatch(/^\/state\/commands\/[0-9a-f]{16}\.jsonl$/);
    expect(file).not.toContain("wsm_secret");
    expect(commandJournalFile("/state", "wsm_secret")).toBe(file);
    expect(commandJournalFile("/state", "wsm_other")).not.toBe(file);
  });
});
