#!/usr/bin/env node
// Entry point of the `wsctl` bin: `npm run build` bundles it into dist/wsctl.js.
// In a checkout, client/wsctl/wsctl.js runs this same file through tsx.
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
