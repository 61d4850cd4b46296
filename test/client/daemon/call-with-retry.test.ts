import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { callWithRetry } from "../../../client/daemon/call-with-retry.js";

describe("callWithRetry", () => {
  it("retries while the server is unavailable", async () => {
    let calls = 0;
    const result = await callWithRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new ConnectError("down", Code.Unavailable);
        return "done";
      },
      { initialMs: 1 },
    );
    expect(result).toBe("done");
    expect(calls).toBe(3);
  });

  it("does not retry an error that is not transient", async () => {
    let calls = 0;
    const failing = callWithRetry(
      async () => {
        calls += 1;
        throw new ConnectError("bad", Code.InvalidArgument);
      },
      { initialMs: 1 },
    );
    await expect(failing).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(calls).toBe(1);
  });

  it("gives up after the last attempt", async () => {
    let calls = 0;
    const failing = callWithRetry(
      async () => {
        calls += 1;
        throw new ConnectError("down", Code.Unavailable);
      },
      { attempts: 4, initialMs: 1 },
    );
    await expect(failing).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls).toBe(4);
  });
});
