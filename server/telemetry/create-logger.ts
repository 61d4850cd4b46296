import { pino, type DestinationStream, type Logger } from "pino";
import { formatPrettyLine } from "./format-pretty-line.js";

export type { Logger };

/** The levels `--log-level` takes, quietest last. */
export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LoggerOptions {
  /** Lowest level written. Default "info". */
  level?: LogLevel;
  /**
   * Human-readable lines instead of JSON (`12:00:01.234 INFO  rpc method=… code=ok`).
   * Default: when the destination is a TTY.
   */
  pretty?: boolean;
  /** Where lines go. Default: stderr (stdout stays for what a command prints). */
  destination?: { write(line: string): unknown; isTTY?: boolean };
  /** Fields on every line, e.g. `{ component: "daemon" }`. Default none. */
  base?: Record<string, unknown>;
}

/**
 * A pino logger writing one JSON object per line (`time` as ISO 8601, `level`
 * as its name), or, on a TTY, a short human line per record through a small
 * formatter of our own (no pino-pretty, no worker thread).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.destination ?? process.stderr;
  const pretty = options.pretty ?? out.isTTY === true;
  const stream: DestinationStream = pretty
    ? { write: (line: string) => out.write(formatPrettyLine(line)) }
    : { write: (line: string) => out.write(line) };
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
}

/** A logger that writes nothing: the default of the functions that take one. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
