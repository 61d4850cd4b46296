// `prepare` (run by `npm ci` / `npm install` in a checkout, and by `npm pack`):
// builds dist/ when the dev dependencies that build it are installed, and
// otherwise says why it did nothing, so `npm ci --omit=dev` in a checkout
// succeeds. An installed package needs no build: its tarball carries dist/.
import { execSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const missing = ["esbuild", "vite"].filter((name) => {
  try {
    require.resolve(`${name}/package.json`);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  console.log(`prepare: skipping the build (${missing.join(", ")} not installed: dev dependencies omitted)`);
} else {
  execSync("npm run build", { stdio: "inherit" });
}
