import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { DaemonError } from "./daemon-error.js";
import { isErrno } from "./errno-of.js";

/** Whether `candidate` is `root` or lies below it (both real, absolute paths). */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Throws `worktree_outside_root` unless `target` (a path below `root`, which
 * must be a real path) resolves inside `root`: its nearest existing ancestor
 * (or itself), with every symbolic link followed, is `root` or below it. A
 * symbolic link planted anywhere on the way that leads out of the root, or
 * nowhere, is refused, so git never writes through it and no agent runs there.
 * Resolves with the real path of `target` when it exists, else undefined.
 */
export async function checkInsideRoot(root: string, target: string): Promise<string | undefined> {
  const refuse = (why: string): never => {
    throw new DaemonError("worktree_outside_root", `${target} ${why}, outside the workspace directory ${root}; refusing to use it`);
  };
  if (!isInside(root, path.resolve(target))) refuse("is not below the workspace directory");
  for (let p = path.resolve(target); ; p = path.dirname(p)) {
    try {
      await lstat(p);
    } catch (error) {
      if (isErrno(error, "ENOENT") && p !== root) continue;
      throw error;
    }
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      return refuse(`goes through a symbolic link at ${p} that leads nowhere`);
    }
    if (!isInside(root, real)) refuse(`resolves to ${real} through a symbolic link at or above ${p}`);
    return p === path.resolve(target) ? real : undefined;
  }
}
