// `prepack` / `postpack`: the tarball carries npm-shrinkwrap.json, a copy of
// package-lock.json, so `npm install` of the package gets exactly the tested
// dependency tree, and can do so offline from the npm cache (a range would
// need the registry's metadata, which `npm ci` does not cache).
//
//   node build/shrinkwrap.mjs add | remove
import { copyFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const target = path.join(root, "npm-shrinkwrap.json");
if (process.argv[2] === "add") await copyFile(path.join(root, "package-lock.json"), target);
else await rm(target, { force: true });
