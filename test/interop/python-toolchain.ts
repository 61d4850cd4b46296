import { execFile } from "node:child_process";
import { access, constants, readFile, symlink } from "node:fs/promises";
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

/** The heading above the README's Python command, and the folder that command writes. */
const readmeHeading = "**Python**";
const stubsFolder = "gen-python";

/** The first ```sh block after the README paragraph that starts with `heading`. */
export function readmeCommand(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}`);
  const block = at < 0 ? null : /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (block === null) throw new Error(`README.md has no \`\`\`sh block after ${JSON.stringify(heading)}`);
  return block[1]!;
}

/**
 * Generates Python message and gRPC stubs with exactly the command the README
 * shows ("Clients in other languages"), run by `sh` in a folder that holds
 * the repository's `proto/` and `third_party/` (symlinks), so nothing is
 * written into the checkout; the toolchain's protoc and grpc_python_plugin come
 * first on PATH. Nothing from node_modules is on the proto path. Resolves with
 * the folder of the stubs.
 */
export async function generatePythonStubs(toolchain: PythonToolchain, options: { repoRoot: string; workDir: string }): Promise<string> {
  const { repoRoot, workDir } = options;
  const command = readmeCommand(await readFile(path.join(repoRoot, "README.md"), "utf8"), readmeHeading);
  for (const dir of ["proto", "third_party"]) await symlink(path.join(repoRoot, dir), path.join(workDir, dir));
  const toolDirs = [...new Set([path.dirname(toolchain.protoc), path.dirname(toolchain.grpcPythonPlugin)])];
  try {
    await run("sh", ["-euc", command], {
      cwd: workDir,
      env: { ...process.env, PATH: [...toolDirs, process.env.PATH ?? ""].join(path.delimiter) },
      timeout: 60_000,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`the README's Python protoc command failed: ${e.stderr || e.message}\n${command}`);
  }
  const stubs = path.join(workDir, stubsFolder);
  await access(path.join(stubs, "workspaces/v1/workspace_session_service_pb2_grpc.py"));
  return stubs;
}
