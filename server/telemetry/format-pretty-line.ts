const colours: Record<string, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[36m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[35m",
};

/**
 * One pino JSON line as a human one: `HH:MM:SS.mmm LEVEL message key=value …`,
 * with an error's stack on the lines after it. A line that is not JSON is
 * returned as it is.
 */
export function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, err, ...rest } = record;
  const clock = typeof time === "string" ? time.slice(11, 23) : "";
  const name = String(level ?? "info");
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(" ");
  const stack = err && typeof err === "object" ? `\n    ${String((err as { stack?: string }).stack ?? JSON.stringify(err)).replaceAll("\n", "\n    ")}` : "";
  return `${clock} ${colours[name] ?? ""}${name.toUpperCase().padEnd(5)}\x1b[0m ${String(msg ?? "")}${fields ? ` ${fields}` : ""}${stack}\n`;
}
