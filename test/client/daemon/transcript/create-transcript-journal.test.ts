import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTranscriptJournal } from "../../../../client/daemon/transcript/create-transcript-journal.js";

let dir: string;
let paths: { journal: string; sent: string };
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wsctl-journal-"));
  paths = { journal: path.join(dir, "s.transcript.jsonl"), sent: path.join(dir, "s.transcript.sent") };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const text = (t: string, role: "user" | "assistant" = "assistant") => ({ role, kind: "text" as const, text: t });

describe("createTranscriptJournal", () => {
  it("has no state before anything is written", async () => {
    expect(await createTranscriptJournal(paths).load()).toBeUndefined();
  });

  it("reads back the unsent entries, the next offset and where stdout reading stood", async () => {
    const journal = createTranscriptJournal(paths);
    await journal.append([
      { o: 0, e: text("prompt", "user"), b: 0 },
      { o: 1, e: text("a"), b: 10 },
      { o: 2, e: text("b"), b: 25, k: 1 },
    ]);
    await journal.append([{ o: 3, e: text("message", "user"), b: 25 }]);
    await journal.saveSent(2);
    const state = await createTranscriptJournal(paths).load();
    expect(state).toMatchObject({ nextOffset: 4, sentOffset: 2, position: 25, skipping: true });
    expect(state?.unsent.map((u) => [u.offset, u.entry.text])).toEqual([
      [2, "b"],
      [3, "message"],
    ]);
    expect(await journal.range(1, 3)).toEqual([
      { offset: 1, entry: text("a") },
      { offset: 2, entry: text("b") },
    ]);
  });

  it("ignores a torn last line, as a daemon killed while writing it leaves", async () => {
    const journal = createTranscriptJournal(paths);
    await journal.append([{ o: 0, e: text("a"), b: 5 }]);
    appendFileSync(paths.journal, '{"o":1,"e":{"role":"assis');
    const state = await journal.load();
    expect(state).toMatchObject({ nextOffset: 1, position: 5, sentOffset: 0 });
  });
});
