import { createLogger, type Logger, type LogLevel } from "../../server/start-server.js";
import type { CliIo } from "./cli-output.js";

/**
 * The logger of `serve` or `daemon` from its `log-level` and `log-format`
 * settings: JSON lines on the command's stderr, pretty ones when the format
 * says so or, with `auto`, when stderr is a terminal. Every line names `component`.
 */
export function createCommandLogger(values: Record<string, unknown>, component: "server" | "daemon", io: CliIo): Logger {
  const format = values["log-format"] as string;
  return createLogger({
    level: values["log-level"] as LogLevel,
    ...(format === "auto" ? {} : { pretty: format === "pretty" }),
    base: { component },
    destination: { write: (line: string) => io.stderr(line), isTTY: io.isTTY ?? process.stderr.isTTY === true },
  });
}
