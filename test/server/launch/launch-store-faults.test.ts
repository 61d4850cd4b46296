import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { dispatchLaunch } from "../../../server/launch/dispatch-launch.js";
import { pollUntil } from "../../support/poll-until.js";
import { mountSmallTmpfs, skipWithoutTmpfs } from "../../support/small-tmpfs.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, launchRequest, rejectionOf } from "./launch-fixtures.js";

const tmpfs = await mountSmallTmpfs(4 * 1024 * 1024);
afterAll(async () => {
  if (typeof tmpfs !== "string") await tmpfs.unmount();
});

describe.skipIf(skipWithoutTmpfs("dispatchLaunch on a full disk", tmpfs))("dispatchLaunch", () => {
  it("answers unavailable at once when the daemon's ok cannot be recorded, and once the disk is freed takes the retried ok as late and stops its agent", async () => {
    if (typeof tmpfs === "string") throw new Error(tmpfs);
    const room = await createLaunchRoom({ path: join(tmpfs.dir, "launch.db") });
    const daemon = room.daemon();
    const launch = await room.accept(launchRequest(), undefined, 10_000);
    const started = Date.now();
    const answer = rejectionOf(dispatchLaunch(room.dispatchDeps(), launch, { signal: new AbortController().signal }));
    const command = await daemon.nextCommand();
    await pollUntil(async () => (await room.store.getSessionById(launch.session.sessionId))?.state === "dispatched");
    await tmpfs.fill();
    try {
      await expectCode(room.acknowledge(command.commandId, "ok", { pid: 7 }), Code.Unavailable, /disk full/);
      const error = ConnectError.from(await answer);
      expect(Code[error.code]).toBe("Unavailable");
      expect(error.rawMessage).toMatch(/disk full/);
      // Told at once, not at the 10 s launch deadline.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(room.abandoned.size).toBe(1);
    } finally {
      await tmpfs.free();
    }
    // Its expiry is recorded as soon as the store takes writes again, and the session failed.
    await pollUntil(() => room.abandoned.size === 0, { what: "the abandoned command to be expired" });
    expect(await room.store.getCommand(command.commandId)).toMatchObject({ ackStatus: "expired" });
    expect(await room.store.getSessionById(launch.session.sessionId)).toMatchObject({ state: "failed" });
    // The daemon's retry of its ok now comes late: the agent behind the error answer is stopped.
    await room.acknowledge(command.commandId, "ok", { pid: 7 });
    const stop = await daemon.nextCommand();
    expect(stop.kind.case).toBe("stop");
    expect(stop.kind.case === "stop" && stop.kind.value.sessionId).toBe(launch.session.sessionId);
  });
});
