import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Builds the browser page served by `wsctl serve` at `/`:
//   npm run build:web   -> dist/web (index.html and fingerprinted assets/*)
// For work on the page, `npx vite --config client/web/vite.config.ts` serves it
// with hot reload and proxies the API to WSCTL_SERVER (default http://127.0.0.1:8080).
const here = path.dirname(fileURLToPath(import.meta.url));
const apiServer = process.env.WSCTL_SERVER ?? "http://127.0.0.1:8080";

export default defineConfig({
  root: here,
  base: "/",
  publicDir: false,
  build: {
    outDir: path.resolve(here, "../../dist/web"),
    emptyOutDir: true,
    target: "es2022",
    // Small page: one script, one stylesheet.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      "/workspaces.v1.": { target: apiServer, changeOrigin: true },
      "/api/": { target: apiServer, changeOrigin: true },
    },
  },
});
