import { createLogger, type Logger } from "../../../server/telemetry/create-logger.js";

/** A JSON logger whose lines are kept, parsed, for tests. */
export function captureLogs(): { logger: Logger; lines: Record<string, unknown>[]; raw: () => string } {
  const raw: string[] = [];
  const logger = createLogger({ level: "debug", pretty: false, destination: { write: (line: string) => raw.push(line) } });
  return {
    logger,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    raw: () => raw.join(""),
  };
}
