#!/usr/bin/env node
// Development entry point: runs the TypeScript sources through tsx (a dev
// dependency), for `npm start` and the tests. The package's bin is the
// compiled dist/wsctl.js (`npm run build`).
import { register } from "tsx/esm/api";

register();
await import("./wsctl.ts");
