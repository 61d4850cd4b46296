// Compiles the `wsctl` bin: client/wsctl/wsctl.ts and everything it imports
// (server/, client/, gen/, and the pure-JS Connect and protobuf packages)
// into ES modules under dist/, one entry (dist/wsctl.js) and one chunk per
// verb, loaded when that verb runs. Bundling Connect and protobuf too took
// serve's first answer from ~375 to ~260 ms here. Packages that must not be
// bundled stay external, installed beside the package as its dependencies:
// better-sqlite3 (native binding), pg, pino (worker-thread transports),
// prom-client, yaml (loaded only for a YAML config) and OpenTelemetry
// (loaded only when tracing is on).
// Also writes dist/descriptors.binpb: the API's descriptors with their .proto
// comments (`buf build`), for tools and other languages.
//
//   node build/bundle-cli.mjs      (part of `npm run build`)
import { execFileSync } from "node:child_process";
import { chmod, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "dist");

await rm(path.join(out, "chunks"), { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { wsctl: "client/wsctl/wsctl.ts" },
  outdir: out,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["better-sqlite3", "pg", "pino", "prom-client", "yaml", "@opentelemetry/*"],
  // A bundled CommonJS module may call require(); ES modules have none of their own.
  banner: { js: 'import { createRequire as __wsctlCreateRequire } from "node:module";\nconst require = __wsctlCreateRequire(import.meta.url);' },
  sourcemap: "linked",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
await chmod(path.join(out, "wsctl.js"), 0o755);
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"));
const kib = Math.round(outputs.reduce((n, [, o]) => n + o.bytes, 0) / 1024);
console.log(`bundle-cli: dist/wsctl.js and ${outputs.length - 1} chunks, ${kib} KiB`);

const buf = path.join(root, "node_modules/.bin/buf");
execFileSync(buf, ["build", "--path", "proto/workspaces", "-o", path.join(out, "descriptors.binpb")], { cwd: root, stdio: "inherit" });
console.log("bundle-cli: dist/descriptors.binpb");
