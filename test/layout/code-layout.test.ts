import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function specifiers(file: string): string[] {
  const text = readFileSync(path.join(root, file), "utf8");
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)"([^"]+)"/g)].map((m) => m[1]!);
}

describe("the code layout (DESIGN.md, Layout)", () => {
  it("keeps every file under server/ and client/ at most 300 lines", () => {
    const long = [...sources("server"), ...sources("client")]
      .map((file) => ({ file, lines: readFileSync(path.join(root, file), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > 300);
    expect(long).toEqual([]);
  });

  it("lets client/ reach server/ only through server/start-server.ts and server/admin/", () => {
    const doors = [path.join(root, "server/start-server.ts"), path.join(root, "server/admin") + path.sep];
    const reaches = sources("client").flatMap((file) =>
      specifiers(file)
        .filter((s) => s.startsWith("."))
        .map((s) => path.resolve(root, path.dirname(file), s).replace(/\.js$/, ".ts"))
        .filter((target) => target.startsWith(path.join(root, "server") + path.sep))
        .filter((target) => !doors.some((door) => target === door || target.startsWith(door)))
        .map((target) => `${file} -> ${path.relative(root, target)}`),
    );
    expect(reaches).toEqual([]);
  });

  it("has a unit test at the mirrored path for every file of the launch core", () => {
    const core = ["server/launch", "server/sessions", "server/hub", "server/services"].flatMap(sources);
    const untested = core.filter((file) => !existsSync(path.join(root, "test", file.replace(/\.ts$/, ".test.ts"))));
    expect(untested).toEqual([]);
  });
});
