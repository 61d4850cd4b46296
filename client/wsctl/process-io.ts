import type { CliIo } from "./cli-output.js";

/** The real process's streams and environment, with a signal that aborts on SIGINT or SIGTERM. */
export function processIo(): CliIo {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    signal: controller.signal,
  };
}
