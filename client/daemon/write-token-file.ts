import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Writes `token` (and a newline) to `file` atomically and privately: the
 * directory is created (mode 0700) when missing, the token goes to a new
 * temporary file beside it, created with mode 0600 (so it is never readable
 * by others, not even for a moment), is flushed to disk and renamed over
 * `file`; the directory is then flushed too. A reader sees the old file or the
 * new one, never half of one. Throws the file system's error.
 */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    try {
      // The mode asked at creation is cut by the umask, never widened: 0600 or stricter. Set it exactly.
      await handle.chmod(0o600);
      await handle.writeFile(`${token}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } catch {
    // Some file systems cannot flush a directory; the rename stands.
  } finally {
    await dirHandle.close();
  }
}
