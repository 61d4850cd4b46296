import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** What the running copy of wsctl knows about its own package. */
export interface PackageInfo {
  /** The package's directory: the checkout, or `node_modules/workspace-sessions` once installed. */
  root: string;
  /** `version` of its package.json, e.g. "0.1.0". */
  version: string;
}

let cached: PackageInfo | undefined;

/**
 * Finds the package this module belongs to by walking up from it to the first
 * package.json: the same answer from the TypeScript sources (`client/…`) and
 * from the bundle (`dist/…`), so paths such as `dist/web` are found either way.
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const { version } = JSON.parse(readFileSync(file, "utf8")) as { version?: string };
      cached = { root: dir, version: version ?? "0.0.0" };
      return cached;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json of wsctl not found");
    dir = up;
  }
}
