import { createFileRegistry, type DescFile, type FileRegistry } from "@bufbuild/protobuf";

/**
 * A `FileRegistry` holding `files` (for example the generated
 * `file_workspaces_v1_workspace_session_service`) and every file they import,
 * transitively. protobuf-es's `createFileRegistry` takes descriptor protos or
 * other registries, not the `DescFile`s that generated code exports; this
 * bridges the two so reflection can answer for the services' whole closure.
 */
export function createDescFileRegistry(...files: DescFile[]): FileRegistry {
  const byName = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    for (const dep of file.dependencies) visit(dep);
  };
  for (const file of files) visit(file);
  const registries = files.map((file) => createFileRegistry(file.proto, (name) => byName.get(name)));
  return createFileRegistry(...registries);
}
