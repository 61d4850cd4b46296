import { pollUntil } from "../../support/poll-until.js";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../../client/wsctl/cli-output.js";
import { createProgressLine, isInteractive } from "../../../client/wsctl/create-progress-line.js";

/** The output with the erase-to-end-of-line sequence shown as ⟨EL⟩. */
const visible = (s: string) => s.replaceAll("\x1b[K", "⟨EL⟩");

function capture(isTTY: boolean | undefined): { io: CliIo; err: () => string; out: () => string } {
  let err = "";
  let out = "";
  const io: CliIo = {
    env: {},
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    ...(isTTY === undefined ? {} : { isTTY }),
  };
  return { io, err: () => err, out: () => out };
}

describe("createProgressLine", () => {
  it("draws the text after a carriage return on stderr and erases it on clear", () => {
    const c = capture(true);
    const line = createProgressLine(c.io);
    line.update("launching…");
    line.update("waiting…");
    line.clear();
    expect(visible(c.err())).toMatch(/^\r\S launching…⟨EL⟩\r\S waiting…⟨EL⟩\r⟨EL⟩$/);
    expect(c.out()).toBe("");
  });

  it("animates the spinner until cleared", async () => {
    const c = capture(true);
    const line = createProgressLine(c.io, { intervalMs: 5 });
    line.update("waiting");
    await pollUntil(() => (c.err().match(/waiting/g) ?? []).length >= 3, { intervalMs: 5, what: "the spinner to redraw" });
    line.clear();
    const frames = c.err().split("\r").filter((f) => f.includes("waiting"));
    expect(new Set(frames.map((f) => f[0])).size).toBeGreaterThan(1);
    const after = c.err();
    await new Promise((r) => setTimeout(r, 30));
    expect(c.err()).toBe(after);
  });

  it("prints nothing when not on a terminal", () => {
    const c = capture(false);
    const line = createProgressLine(c.io);
    line.update("launching…");
    line.clear();
    expect(c.err()).toBe("");
  });

  it("clears nothing when it never drew", () => {
    const c = capture(true);
    createProgressLine(c.io).clear();
    expect(c.err()).toBe("");
  });
});

describe("isInteractive", () => {
  it("follows io.isTTY when it is set", () => {
    expect(isInteractive(capture(true).io)).toBe(true);
    expect(isInteractive(capture(false).io)).toBe(false);
  });

  it("asks the process's streams when io.isTTY is unset", () => {
    expect(isInteractive(capture(undefined).io)).toBe(process.stdout.isTTY === true && process.stderr.isTTY === true);
  });
});
