import { execFile } from "node:child_process";
import { mkdtemp, open, rm, rmdir, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A small tmpfs of its own: a real file system that runs out of space. */
export interface SmallTmpfs {
  /** Where it is mounted. */
  dir: string;
  /** Fills what is left with a file of zeros until the kernel answers ENOSPC (tmpfs counts whole pages); returns the bytes written. */
  fill(): Promise<number>;
  /** Deletes the filling: the space is back. */
  free(): Promise<void>;
  /** Unmounts it and removes the mount point. */
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs of `sizeBytes` (`mount -t tmpfs -o size=…`), for tests that
 * fill a disk for real. Mounting needs root (or CAP_SYS_ADMIN): without it
 * this answers the reason instead, for the test to skip with (and fail on
 * under CI=true, as the other suites needing something absent do).
 */
export async function mountSmallTmpfs(sizeBytes: number): Promise<SmallTmpfs | string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wsctl-tmpfs-"));
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes},mode=0700`, "tmpfs", dir]);
  } catch (error) {
    await rmdir(dir).catch(() => {});
    return `cannot mount a tmpfs (${((error as { stderr?: string }).stderr ?? String(error)).trim()}); run as root to test a full disk`;
  }
  const filler = path.join(dir, "filler");
  return {
    dir,
    async fill() {
      const file = await open(filler, "a");
      const chunk = Buffer.alloc(64 * 1024);
      let written = 0;
      try {
        for (;;) written += (await file.write(chunk)).bytesWritten;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      } finally {
        await file.close();
      }
      return written;
    },
    async free() {
      await unlink(filler).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    },
    async unmount() {
      await run("umount", ["-l", dir]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Prints why a full-disk test is skipped; under CI=true the test runs and fails instead. */
export function skipWithoutTmpfs(suite: string, mounted: SmallTmpfs | string): boolean {
  if (typeof mounted !== "string") return false;
  if (process.env.CI === "true") return false;
  console.warn(`[skip] ${suite}: ${mounted}`);
  return true;
}
