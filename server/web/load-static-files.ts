import { createHash } from "node:crypto";
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** One built file, held in memory with its headers worked out once. */
export interface StaticFile {
  /** URL path it is served at, e.g. "/assets/index-B1x2c3d4.js". */
  urlPath: string;
  contentType: string;
  cacheControl: string;
  body: Buffer;
  etag: string;
  /** Gzip of `body`, when the type compresses and it saves something. */
  gzip?: { body: Buffer; etag: string };
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".webmanifest": "application/manifest+json",
};

/** Content type by file extension; unknown ones are `application/octet-stream`. */
export function contentTypeOf(fileName: string): string {
  return contentTypes[path.extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

const compressible = /^(text\/|application\/(json|manifest\+json|wasm)|image\/svg\+xml)/;

/**
 * Vite names the assets it fingerprints `assets/<name>-<hash>.<ext>`; their
 * content never changes under that name, so browsers may keep them for a year.
 * Everything else (index.html above all) is revalidated with its ETag.
 */
const hashedAsset = /^\/assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
export const immutableCacheControl = "public, max-age=31536000, immutable";
export const revalidateCacheControl = "no-cache";

function walk(root: string, dir: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    // Only regular files and real directories: a symlink could point outside the root.
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out);
    else if (entry.isFile()) out.push(path.relative(root, full));
  }
}

/**
 * Reads every regular file under `root` into a table keyed by URL path. Only
 * files found here are ever served, so a request path can never reach outside
 * the build. A missing root gives an empty table.
 */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const relPaths: string[] = [];
  walk(root, root, relPaths);
  for (const rel of relPaths) {
    const urlPath = `/${rel.split(path.sep).join("/")}`;
    let body: Buffer;
    try {
      body = readFileSync(path.join(root, rel));
    } catch {
      continue; // Removed while we read (a rebuild in progress): the next scan sees the new build.
    }
    const hash = createHash("sha256").update(body).digest("base64url").slice(0, 22);
    const contentType = contentTypeOf(rel);
    const file: StaticFile = {
      urlPath,
      contentType,
      cacheControl: hashedAsset.test(urlPath) ? immutableCacheControl : revalidateCacheControl,
      body,
      etag: `"${hash}"`,
    };
    if (body.length >= 1024 && compressible.test(contentType)) {
      const gz = gzipSync(body, { level: 9 });
      if (gz.length < body.length * 0.9) file.gzip = { body: gz, etag: `"${hash}-gz"` };
    }
    files.set(urlPath, file);
  }
  return files;
}
