import { describe, expect, it } from "vitest";
import { createMoveQueue } from "../../../server/sessions/create-move-queue.js";
import type { SessionRecord } from "../../../server/store/store.js";
import { session } from "../store/store-contract-fixtures.js";

const copy = (state: SessionRecord["state"]): SessionRecord => session({ sessionId: "s-1", state });

describe("createMoveQueue", () => {
  it("runs the moves of one session one after another, in the order asked", async () => {
    const queue = createMoveQueue();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = queue.run("s-1", async () => {
      order.push("first:start");
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      order.push("first:end");
    });
    const second = queue.run("s-1", async () => void order.push("second"));
    const other = queue.run("s-2", async () => void order.push("other"));
    await other;
    expect(order).toEqual(["first:start", "other"]);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["first:start", "other", "first:end", "second"]);
  });

  it("hands a move that waited the copy the move before it wrote, and forgets it once the queue is empty", async () => {
    const queue = createMoveQueue();
    const seen: string[] = [];
    const dispatch = queue.run("s-1", async () => {
      queue.wrote(copy("dispatched"));
    });
    const ack = queue.run("s-1", async () => void seen.push(queue.newest(copy("pending")).state));
    await Promise.all([dispatch, ack]);
    expect(seen).toEqual(["dispatched"]);
    // Nothing queued: nothing kept, the caller's copy is the newest there is.
    expect(queue.newest(copy("pending")).state).toBe("pending");
    queue.wrote(copy("running"));
    expect(queue.newest(copy("pending")).state).toBe("pending");
  });

  it("lets the next move run after one that threw", async () => {
    const queue = createMoveQueue();
    await expect(queue.run("s-1", async () => Promise.reject(new Error("store down")))).rejects.toThrow("store down");
    await expect(queue.run("s-1", async () => "ran")).resolves.toBe("ran");
  });
});
