import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createIdempotencyKeys } from "../../../server/launch/create-idempotency-keys.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, launchRequest } from "./launch-fixtures.js";

const result = { status: "ok", payload: { session_id: "s-1", workspace_id: "ws", machine_id: "m1", pid: 9 } };

describe("createIdempotencyKeys", () => {
  it.each([
    ["empty", ""],
    ["with a space", "a b"],
    ["with a control character", "a\tb"],
    ["non-ASCII", "clé"],
    ["longer than 255 characters", "k".repeat(256)],
  ])("refuses a malformed key (%s) as invalid_argument, storing nothing", async (_, key) => {
    const room = await createLaunchRoom();
    await expectCode(room.keys.claim("t", key, launchRequest()), Code.InvalidArgument, /Idempotency-Key must be 1-255 printable ASCII/);
    expect(await room.store.claimIdempotencyKey({ tokenId: "t", key, sessionId: "", requestHash: "h", now: 1 })).toBeUndefined();
  });

  it("claims keys of printable ASCII up to 255 characters", async () => {
    const room = await createLaunchRoom();
    for (const key of ["!", "~", "k".repeat(255), "01J9Z-uuid_like:key/1"]) {
      expect(await room.keys.claim("t", key, launchRequest())).toEqual({ kind: "claimed", claim: { tokenId: "t", key } });
    }
  });

  it("answers aborted while the first call with the key is still running", async () => {
    const room = await createLaunchRoom();
    await room.keys.claim("t", "k", launchRequest());
    await expectCode(room.keys.claim("t", "k", launchRequest()), Code.Aborted, /still in progress/);
  });

  it("replays the completed result, with its session id, to every later claim", async () => {
    const room = await createLaunchRoom();
    const first = await room.keys.claim("t", "k", launchRequest());
    if (first.kind !== "claimed") throw new Error("expected a claim");
    await room.keys.complete(first.claim, { result });
    for (let i = 0; i < 2; i++) {
      expect(await room.keys.claim("t", "k", launchRequest())).toEqual({ kind: "replay", sessionId: "s-1", result });
    }
  });

  it("throws the completed call's own error, code and message, to a later claim", async () => {
    const room = await createLaunchRoom();
    const first = await room.keys.claim("t", "k", launchRequest());
    if (first.kind !== "claimed") throw new Error("expected a claim");
    await room.keys.complete(first.claim, { error: { code: Code.DeadlineExceeded, message: "machine m1 did not acknowledge" } });
    const error = await expectCode(room.keys.claim("t", "k", launchRequest()), Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("machine m1 did not acknowledge");
  });

  it("refuses the key with another request as invalid_argument, even once completed", async () => {
    const room = await createLaunchRoom();
    await room.keys.claim("t", "k", launchRequest());
    await expectCode(room.keys.claim("t", "k", launchRequest({ initialPrompt: "other" })), Code.InvalidArgument, /different request/);
    await room.keys.complete({ tokenId: "t", key: "k" }, { result });
    await expectCode(room.keys.claim("t", "k", launchRequest({ machineId: "m1" })), Code.InvalidArgument, /different request/);
  });

  it("keeps each token's keys apart", async () => {
    const room = await createLaunchRoom();
    await room.keys.claim("t1", "k", launchRequest());
    expect(await room.keys.claim("t2", "k", launchRequest({ initialPrompt: "other" }))).toMatchObject({ kind: "claimed" });
  });

  it("lets a retry run again after a release, and keeps a completed key through one", async () => {
    const room = await createLaunchRoom();
    await room.keys.claim("t", "k", launchRequest());
    await room.keys.release({ tokenId: "t", key: "k" });
    expect(await room.keys.claim("t", "k", launchRequest())).toMatchObject({ kind: "claimed" });
    await room.keys.complete({ tokenId: "t", key: "k" }, { result });
    await room.keys.release({ tokenId: "t", key: "k" });
    expect(await room.keys.claim("t", "k", launchRequest())).toMatchObject({ kind: "replay", result });
  });

  it("logs a release that fails, naming the key, instead of throwing it", async () => {
    const room = await createLaunchRoom();
    const failure = new ConnectError("database error (idempotency key)", Code.Internal);
    room.store.releaseIdempotencyKey = async () => {
      throw failure;
    };
    const logged: { message: string; error: unknown }[] = [];
    const keys = createIdempotencyKeys({ store: room.store, log: (message, error) => logged.push({ message, error }) });
    await keys.claim("t", "k", launchRequest());
    await expect(keys.release({ tokenId: "t", key: "k" })).resolves.toBeUndefined();
    expect(logged).toEqual([{ message: expect.stringContaining('releasing Idempotency-Key "k" failed'), error: failure }]);
  });

  it("stamps a claim with its clock", async () => {
    const room = await createLaunchRoom();
    const keys = createIdempotencyKeys({ store: room.store, log: room.log, now: () => 4242 });
    await keys.claim("t", "k", launchRequest());
    const row = await room.store.claimIdempotencyKey({ tokenId: "t", key: "k", sessionId: "", requestHash: "", now: 1 });
    expect(row?.createdAt).toBe(4242);
  });
});
