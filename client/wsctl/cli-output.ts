/** Where a `wsctl` command writes and what environment it reads; injected so tests can capture it. */
export interface CliIo {
  /** Writes text to standard output as given (add your own newline). */
  stdout: (s: string) => void;
  /** Writes text to standard error as given (add your own newline). */
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** The directory relative paths (`data/credentials.json`) resolve against. Unset means `process.cwd()`. */
  cwd?: string;
  /** Aborts when the process is asked to stop (SIGINT, SIGTERM); long-running commands end then. */
  signal?: AbortSignal;
  /**
   * Whether a person watches the output on a terminal: client verbs then draw a
   * progress line on stderr while they wait. Unset means "ask the process"
   * (both stdout and stderr are TTYs).
   */
  isTTY?: boolean;
  /**
   * Asks the person at the terminal for a secret (no echo); undefined when
   * nobody can be asked. Unset means the process's own terminal, if stdin is one.
   */
  readSecret?: (prompt: string) => Promise<string | undefined>;
}

/** Exit codes shared by the `wsctl` verbs. */
export const exitCode = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * How `--json` writes API messages: as REST answers them, proto field names
 * and every field, those holding false, zero or "" included, so scripts see
 * the same keys whatever the values.
 */
export const apiJsonOptions = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;

/** Writes one JSON object on one line of standard output. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value)}\n`);
}

/**
 * Lines of a plain-text table: columns padded to their widest cell, two spaces
 * apart, trailing spaces trimmed. The first row is the header.
 */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}
