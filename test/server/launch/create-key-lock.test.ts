import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { acceptLaunch } from "../../../server/launch/accept-launch.js";
import { createKeyLock } from "../../../server/launch/create-key-lock.js";
import { createLaunchRoom, launchRequest } from "./launch-fixtures.js";

describe("createKeyLock", () => {
  it("grants one key at a time, in the order asked, and other keys at once", async () => {
    const lock = createKeyLock();
    const order: string[] = [];
    const first = await lock.acquire("k");
    const second = lock.acquire("k").then((release) => {
      order.push("second");
      return release;
    });
    const other = await lock.acquire("other");
    order.push("other");
    expect(order).toEqual(["other"]);
    first();
    first();
    (await second)();
    other();
    expect(order).toEqual(["other", "second"]);
    (await lock.acquire("k"))();
  });

  it("lets only one of three simultaneous launches into one worktree through acceptLaunch", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const deps = { ...room.acceptDeps, worktreeLocks: createKeyLock() };
    const accept = () => acceptLaunch(deps, room.principal, launchRequest({ worktreeName: "shared" }), { signal: new AbortController().signal });
    const outcomes = await Promise.allSettled([accept(), accept(), accept()]);
    const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [ConnectError.from(o.reason)] : []));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(refused.map((e) => e.code)).toEqual([Code.FailedPrecondition, Code.FailedPrecondition]);
    expect(refused[0]?.rawMessage).toMatch(/worktree shared on machine m1 is in use by session/);
  });
});
