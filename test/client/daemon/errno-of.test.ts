import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { errnoOf, errnoOrMessage, isErrno } from "../../../client/daemon/errno-of.js";

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("errnoOf", () => {
  it("reads the errno of a failed fs call", async () => {
    expect(errnoOf(await rejectionOf(readFile("/nonexistent/errno-of-test")))).toBe("ENOENT");
  });

  it("reads Node's own error codes", () => {
    let thrown: unknown;
    try {
      parseArgs({ args: ["--nope"], options: {}, strict: true });
    } catch (error) {
      thrown = error;
    }
    expect(errnoOf(thrown)).toBe("ERR_PARSE_ARGS_UNKNOWN_OPTION");
  });

  it("is undefined for errors without a string code and for non-objects", () => {
    expect(errnoOf(new Error("plain"))).toBeUndefined();
    expect(errnoOf(Object.assign(new Error("exit"), { code: 2 }))).toBeUndefined();
    expect(errnoOf(undefined)).toBeUndefined();
    expect(errnoOf(null)).toBeUndefined();
    expect(errnoOf("ENOENT")).toBeUndefined();
  });
});

describe("isErrno", () => {
  it("tells one errno from another", async () => {
    const error = await rejectionOf(readFile("/nonexistent/errno-of-test"));
    expect(isErrno(error, "ENOENT")).toBe(true);
    expect(isErrno(error, "EPERM")).toBe(false);
    expect(isErrno(new Error("ENOENT"), "ENOENT")).toBe(false);
  });
});

describe("errnoOrMessage", () => {
  it("prefers the errno, then the message, then the value itself", async () => {
    expect(errnoOrMessage(await rejectionOf(readFile("/nonexistent/errno-of-test")))).toBe("ENOENT");
    expect(errnoOrMessage(new Error("disk on fire"))).toBe("disk on fire");
    expect(errnoOrMessage("odd")).toBe("odd");
  });
});
