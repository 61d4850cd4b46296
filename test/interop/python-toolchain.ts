import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Debian's interpreter: the one `python3-grpcio` installs into (a pyenv `python3` on PATH lacks grpc). */
export const systemPython = "/usr/bin/python3";

/** The Debian packages `.ci/run` installs for this suite. */
export const debianPackages = ["protobuf-compiler", "protobuf-compiler-grpc", "python3-grpcio", "python3-protobuf"];

/** Where the tools were found. */
export interface PythonToolchain {
  protoc: string;
  grpcPythonPlugin: string;
  python: string;
}

/** Resolves an executable on PATH, or undefined. */
async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Finds `protoc`, `grpc_python_plugin` and a `/usr/bin/python3` that imports
 * `grpc` and `google.protobuf`. Resolves with the toolchain, or with the reason
 * it is unusable (naming the Debian packages to install).
 */
export async function findPythonToolchain(): Promise<PythonToolchain | { missing: string }> {
  const missing: string[] = [];
  const protoc = await which("protoc");
  if (protoc === undefined) missing.push("protoc");
  const grpcPythonPlugin = await which("grpc_python_plugin");
  if (grpcPythonPlugin === undefined) missing.push("grpc_python_plugin");
  try {
    await run(systemPython, ["-I", "-c", "import grpc, google.protobuf"], { timeout: 20_000 });
  } catch {
    missing.push(`${systemPython} with the grpc and google.protobuf modules`);
  }
  if (protoc === undefined || grpcPythonPlugin === undefined || missing.length > 0) {
    return { missing: `${missing.join(", ")} not found (apt-get install ${debianPackages.join(" ")})` };
  }
  return { protoc, grpcPythonPlugin, python: systemPython };
}

/** Third-party protos the API imports, plus the google.rpc ones the client decodes error details with. */
const thirdPartyProtos = [
  "google/api/annotations.proto",
  "google/api/http.proto",
  "google/rpc/status.proto",
  "google/rpc/error_details.proto",
];

/**
 * Generates Python message and gRPC stubs for `proto/workspaces/v1/*.proto` and
 * the third-party protos they need into `outDir`, with Debian's `protoc` and
 * `grpc_python_plugin`. Well-known types come from protoc's own `/usr/include`.
 */
export async function generatePythonStubs(
  toolchain: PythonToolchain,
  options: { repoRoot: string; protoFiles: readonly string[]; outDir: string },
): Promise<void> {
  const { repoRoot, outDir } = options;
  await run(
    toolchain.protoc,
    [
      `--plugin=protoc-gen-grpc_python=${toolchain.grpcPythonPlugin}`,
      `--proto_path=${path.join(repoRoot, "proto")}`,
      `--proto_path=${path.join(repoRoot, "node_modules/google-proto-files")}`,
      "--proto_path=/usr/include",
      `--python_out=${outDir}`,
      `--grpc_python_out=${outDir}`,
      ...options.protoFiles,
      ...thirdPartyProtos,
    ],
    { cwd: path.join(repoRoot, "proto"), timeout: 60_000 },
  );
}
