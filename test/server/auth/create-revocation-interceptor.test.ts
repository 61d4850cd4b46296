import { Code, ConnectError, createContextValues, type StreamResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createRevocationInterceptor } from "../../../server/auth/create-revocation-interceptor.js";
import type { RevocationWatch } from "../../../server/auth/create-revocation-watch.js";
import { kPrincipal } from "../../../server/auth/principal.js";

/** A watch whose holds the test revokes by hand. */
function manualWatch() {
  const controllers: AbortController[] = [];
  let released = 0;
  const watch: RevocationWatch = {
    hold() {
      const c = new AbortController();
      controllers.push(c);
      return { signal: c.signal, release: () => void released++ };
    },
    check: async () => {},
    close() {},
  };
  return { watch, revoke: () => {
      for (const c of controllers) c.abort(new ConnectError("the token was revoked", Code.Unauthenticated));
    }, released: () => released };
}

async function* idle(): AsyncGenerator<string> {
  yield "first";
  await new Promise(() => {});
}

function call(stream: boolean, principal = true) {
  const contextValues = createContextValues();
  if (principal) contextValues.set(kPrincipal, { kind: "api", tokenId: "t-1", workspaceIds: new Set(["ws"]), scopes: new Set(["sessions" as const]) });
  return { stream, contextValues } as never;
}

describe("createRevocationInterceptor", () => {
  it("ends a server stream with the revocation's error, even while the stream is idle, and releases its hold", async () => {
    const { watch, revoke, released } = manualWatch();
    const next = async () => ({ stream: true, message: idle() }) as unknown as StreamResponse;
    const res = (await createRevocationInterceptor(watch)(next as never)(call(true))) as StreamResponse;
    const it = res.message[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("first");
    const pending = it.next();
    revoke();
    await expect(pending).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect(released()).toBe(1);
  });

  it("leaves unary calls and calls without a principal alone", async () => {
    const { watch } = manualWatch();
    const unary = { stream: false, message: "m" };
    expect(await createRevocationInterceptor(watch)((async () => unary) as never)(call(false))).toBe(unary);
    const open = { stream: true, message: idle() };
    expect(await createRevocationInterceptor(watch)((async () => open) as never)(call(true, false))).toBe(open);
  });
});
