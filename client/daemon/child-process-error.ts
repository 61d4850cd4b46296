import { DaemonError } from "./daemon-error.js";
import { errnoOf } from "./errno-of.js";

/**
 * Maps an error from `child_process.spawn` / `execFile` (an errno error such as
 * ENOENT or EACCES) to a DaemonError naming the binary. This is the one place
 * where child-process errors are translated.
 */
export function daemonErrorFromSpawnError(error: unknown, bin: string): DaemonError {
  switch (errnoOf(error)) {
    case "ENOENT":
      return new DaemonError("binary_not_found", `executable "${bin}" was not found (is it installed and on PATH?)`);
    case "EACCES":
    case "EPERM":
      return new DaemonError("binary_not_executable", `executable "${bin}" is not executable (permission denied)`);
    case "ENOEXEC":
      return new DaemonError("binary_not_executable", `"${bin}" is not a valid executable`);
    case "ABORT_ERR":
      return new DaemonError("canceled", `running "${bin}" was canceled`);
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return new DaemonError("spawn_failed", `could not start "${bin}": ${detail}`);
    }
  }
}
