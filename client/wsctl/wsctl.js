#!/usr/bin/env node
// Entry point of the `wsctl` command. The sources are TypeScript; tsx compiles
// them on load (with a cache), so `npm ci` is the only build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
