import { describe, expect, it } from "vitest";
import type { Store, TranscriptEntryRecord } from "../../../server/store/store.js";
import { event, session } from "./store-contract-fixtures.js";

function entry(text: string, init: Partial<TranscriptEntryRecord> = {}): TranscriptEntryRecord {
  return { offset: 0, role: "assistant", kind: "text", text, ...init };
}

/** Contract cases for transcripts: entries as events in the session's sequence, deduplicated by offset, paged both ways. */
export function describeTranscript(getStore: () => Store): void {
  describe("transcript", () => {
    it("stores entries as transcript events between state events, with their offsets", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1", state: "running" }));
      await store.appendSessionEvent(event("s-1"));
      const toolInput = { command: "ls -la", nested: { list: [1, "two", null] } };
      const result = await store.appendTranscript({
        sessionId: "s-1",
        machineId: "m-1",
        fromOffset: 0,
        entries: [
          entry("hello", { agentTime: 1234, detail: { model: "opus" } }),
          entry("", { kind: "tool_call", toolName: "Bash", toolInput, toolCallId: "t1", truncated: true }),
        ],
        now: 5000,
      });
      expect(result?.nextOffset).toBe(2);
      expect(result?.appended.map((e) => [e.sequence, e.type, e.state, e.entry?.offset])).toEqual([
        [2, "transcript", "running", 0],
        [3, "transcript", "running", 1],
      ]);
      await store.appendSessionEvent(event("s-1", { type: "exited", state: "exited" }));
      const events = await store.listSessionEvents("s-1", 0);
      expect(events.map((e) => e.type)).toEqual(["accepted", "transcript", "transcript", "exited"]);
      expect(events[1]).toEqual(result?.appended[0]);
      expect(events[2]?.entry).toEqual({ ...entry("", { kind: "tool_call", toolName: "Bash", toolInput, toolCallId: "t1", truncated: true }), offset: 1 });
      expect(events[0]?.entry).toBeUndefined();
      expect((await store.getSessionById("s-1"))?.transcriptLength).toBe(2);
    });

    it("skips entries already stored and stores nothing past a gap", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const append = (fromOffset: number, texts: string[]) =>
        store.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset, entries: texts.map((t) => entry(t)), now: 1 });
      expect((await append(0, ["a", "b"]))?.nextOffset).toBe(2);
      const resent = await append(1, ["b", "c"]);
      expect(resent?.appended.map((e) => e.entry?.text)).toEqual(["c"]);
      expect(resent?.nextOffset).toBe(3);
      const gap = await append(5, ["f"]);
      expect(gap).toEqual({ appended: [], nextOffset: 3 });
      expect((await append(0, ["a"]))?.appended).toEqual([]);
      const texts = (await store.listSessionEvents("s-1", 0)).map((e) => `${e.entry?.offset}:${e.entry?.text}`);
      expect(texts).toEqual(["0:a", "1:b", "2:c"]);
    });

    it("stores a batch sent twice at once only once", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const batch = { sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: ["a", "b", "c"].map((t) => entry(t)), now: 1 };
      await Promise.all([store.appendTranscript(batch), store.appendTranscript(batch), store.appendSessionEvent(event("s-1"))]);
      const events = await store.listSessionEvents("s-1", 0);
      expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
      expect(events.filter((e) => e.type === "transcript").map((e) => e.entry?.offset)).toEqual([0, 1, 2]);
    });

    it("answers undefined for another machine's session or a missing one", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const entries = [entry("a")];
      expect(await store.appendTranscript({ sessionId: "s-1", machineId: "m-2", fromOffset: 0, entries, now: 1 })).toBeUndefined();
      expect(await store.appendTranscript({ sessionId: "ghost", machineId: "m-1", fromOffset: 0, entries, now: 1 })).toBeUndefined();
    });

    it("pages the transcript forward and backward by sequence, skipping state events", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await store.appendSessionEvent(event("s-1"));
      await store.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: ["a", "b", "c"].map((t) => entry(t)), now: 1 });
      await store.appendSessionEvent(event("s-1", { type: "running", state: "running" }));
      await store.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 3, entries: ["d", "e"].map((t) => entry(t)), now: 1 });
      const page = async (q: { afterSequence?: number; beforeSequence?: number; limit: number; backward?: boolean }) => {
        const got = await store.listTranscript({ sessionId: "s-1", afterSequence: 0, beforeSequence: 0, backward: false, ...q });
        return { texts: got.events.map((e) => `${e.sequence}${e.entry?.text}`), last: got.lastSequence };
      };
      expect(await page({ limit: 10 })).toEqual({ texts: ["2a", "3b", "4c", "6d", "7e"], last: 7 });
      expect((await page({ limit: 2, afterSequence: 3 })).texts).toEqual(["4c", "6d"]);
      expect((await page({ limit: 2, backward: true })).texts).toEqual(["6d", "7e"]);
      expect((await page({ limit: 2, backward: true, beforeSequence: 6 })).texts).toEqual(["3b", "4c"]);
      expect((await page({ limit: 10, afterSequence: 2, beforeSequence: 6 })).texts).toEqual(["3b", "4c"]);
      const empty = await store.listTranscript({ sessionId: "ghost", afterSequence: 0, beforeSequence: 0, limit: 5, backward: false });
      expect(empty).toEqual({ events: [], lastSequence: 0 });
    });

    it("keeps the prompt and settings, and a patch resets the transcript length", async () => {
      const store = getStore();
      const settings = { code: { defaultProvider: "codex", providers: { codex: { model: "gpt-5", thinking: "low" } } } };
      await store.createSession(session({ sessionId: "s-1", initialPrompt: "Say hi", settings }));
      expect(await store.getSessionById("s-1")).toMatchObject({ initialPrompt: "Say hi", settings, transcriptLength: 0 });
      await store.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: [entry("a")], now: 1 });
      const kept = await store.updateSession("s-1", { state: "running", updatedAt: 2 });
      expect(kept).toMatchObject({ initialPrompt: "Say hi", settings, transcriptLength: 1 });
      const reused = await store.updateSession("s-1", { initialPrompt: "", settings: undefined, transcriptLength: 0, updatedAt: 3 });
      expect(reused).toMatchObject({ initialPrompt: "", transcriptLength: 0 });
      expect(reused?.settings).toBeUndefined();
    });
  });
}
