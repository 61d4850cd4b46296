import type { CliIo } from "./cli-output.js";

/** A spinner and a short status on one line of stderr, redrawn in place. */
export interface ProgressLine {
  /** Replaces the status text (and starts the spinner on first use). */
  update(text: string): void;
  /** Erases the line and stops the spinner; call it before printing a result. */
  clear(): void;
}

export interface ProgressLineOptions {
  /** Time between spinner frames (default 80 ms). */
  intervalMs?: number;
}

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Whether `io` goes to a terminal: `io.isTTY` if set, else both process streams are TTYs. */
export function isInteractive(io: CliIo): boolean {
  return io.isTTY ?? (process.stdout.isTTY === true && process.stderr.isTTY === true);
}

const silent: ProgressLine = { update() {}, clear() {} };

/**
 * A progress line on stderr when `io` is interactive; otherwise one that prints
 * nothing, so piped output holds plain lines only. Each frame is `\r` + text +
 * an erase-to-end-of-line; `clear()` leaves the cursor at the start of an empty line.
 */
export function createProgressLine(io: CliIo, options: ProgressLineOptions = {}): ProgressLine {
  if (!isInteractive(io)) return silent;
  let text = "";
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    io.stderr(`\r${frames[frame % frames.length]} ${text}\x1b[K`);
    frame++;
  };
  return {
    update(next) {
      text = next;
      draw();
      if (timer === undefined) {
        timer = setInterval(draw, options.intervalMs ?? 80);
        timer.unref();
      }
    },
    clear() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      io.stderr("\r\x1b[K");
    },
  };
}
