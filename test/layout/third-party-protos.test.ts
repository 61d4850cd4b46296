import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "../..");
// The proto path a user of another language passes to protoc (README, "Clients in other languages").
const protoPath = [path.join(root, "proto"), path.join(root, "third_party/proto")];

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".proto"))
    .map((e) => path.join(e.parentPath, e.name));
}

const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm)].map((m) => m[1]!);

function resolve(name: string): string | undefined {
  for (const dir of protoPath) {
    const file = path.join(dir, name);
    try {
      readFileSync(file);
      return file;
    } catch {
      // not under this root
    }
  }
  return undefined;
}

describe("third_party/proto", () => {
  it("holds every file the API imports, transitively, so protoc -I proto -I third_party/proto needs nothing else", () => {
    const unresolved: string[] = [];
    const pending = protoFiles(path.join(root, "proto/workspaces"));
    const seen = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop()!;
      for (const name of importsOf(file)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const found = resolve(name);
        if (found === undefined) unresolved.push(`${path.relative(root, file)} imports ${name}`);
        else pending.push(found);
      }
    }
    expect(unresolved).toEqual([]);
    expect(seen).toContain("google/api/annotations.proto");
  });

  it("holds the google.rpc error details clients decode, and nothing of ours", () => {
    const bundled = protoFiles(path.join(root, "third_party/proto")).map((f) => path.relative(path.join(root, "third_party/proto"), f));
    expect(bundled).toEqual(expect.arrayContaining(["google/rpc/status.proto", "google/rpc/error_details.proto"]));
    expect(bundled.filter((f) => f.startsWith("workspaces/"))).toEqual([]);
  });
});
