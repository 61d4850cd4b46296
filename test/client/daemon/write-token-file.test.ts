import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTokenFile, readTokenFile } from "../../../client/daemon/resolve-machine-token.js";
import { writeTokenFile } from "../../../client/daemon/write-token-file.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-token-write-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeTokenFile", () => {
  it("writes the token with mode 0600 into a directory it creates with mode 0700, replacing an older one whole", async () => {
    const stateDir = path.join(dir, "fresh", "daemon");
    const file = defaultTokenFile(stateDir);
    await writeTokenFile(file, "wsm_first");
    await writeTokenFile(file, "wsm_second");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect(await readTokenFile(file)).toBe("wsm_second");
    expect((await readdir(stateDir)).filter((name) => name !== "machine-token")).toEqual([]);
  });

  it("leaves no temporary file behind when it cannot replace the file", async () => {
    const stateDir = path.join(dir, "blocked");
    await mkdir(path.join(stateDir, "machine-token"), { recursive: true });
    await expect(writeTokenFile(defaultTokenFile(stateDir), "wsm_x")).rejects.toThrow();
    expect(await readdir(stateDir)).toEqual(["machine-token"]);
  });
});

