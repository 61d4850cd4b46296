import type { DescEnum, DescField, DescFile, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import type { FileDescriptorProto, SourceCodeInfo } from "@bufbuild/protobuf/wkt";

/** A described element of a .proto file. */
export type Commented = DescMessage | DescEnum | DescService | DescMethod | DescField;

/**
 * Reads the .proto comment of a descriptor from its file's source code info:
 * the descriptor's own (descriptors loaded from a `buf build` image keep it),
 * else that of the file of the same name in `sources`. Generated code embeds
 * descriptors without source info, so they are described only through
 * `sources`, e.g. `apiSourceFiles()` (gen/descriptor_set.ts, written by
 * `npm run gen` from the same .proto files, so the element paths agree).
 * Undescribed elements answer undefined. `buf:lint:ignore` lines are dropped.
 * Each file's comments are indexed once, on first use.
 */
export function createCommentReader(sources: readonly FileDescriptorProto[] = []): (desc: Commented) => string | undefined {
  const sourceInfo = new Map(sources.map((f) => [f.name, f.sourceCodeInfo]));
  const infoOf = (file: DescFile): SourceCodeInfo | undefined => file.proto.sourceCodeInfo ?? sourceInfo.get(file.proto.name);
  const byFile = new Map<DescFile, Map<string, string>>();
  const indexOf = (file: DescFile): Map<string, string> => {
    let index = byFile.get(file);
    if (index === undefined) {
      index = new Map();
      for (const loc of infoOf(file)?.location ?? []) {
        const text = clean(loc.leadingComments || loc.trailingComments);
        if (text !== "") index.set(loc.path.join(","), text);
      }
      byFile.set(file, index);
    }
    return index;
  };
  return (desc) => {
    const file = desc.kind === "field" || desc.kind === "rpc" ? desc.parent.file : desc.file;
    if (infoOf(file) === undefined) return undefined;
    return indexOf(file).get(sourcePath(desc).join(","));
  };
}

/** The path of `desc` in its file's FileDescriptorProto, as source code info keys locations. */
function sourcePath(desc: Commented): number[] {
  switch (desc.kind) {
    case "service":
      return [6, desc.file.proto.service.indexOf(desc.proto)];
    case "rpc":
      return [...sourcePath(desc.parent), 2, desc.parent.proto.method.indexOf(desc.proto)];
    case "field":
      return [...sourcePath(desc.parent), 2, desc.parent.proto.field.indexOf(desc.proto)];
    case "message":
      return desc.parent === undefined
        ? [4, desc.file.proto.messageType.indexOf(desc.proto)]
        : [...sourcePath(desc.parent), 3, desc.parent.proto.nestedType.indexOf(desc.proto)];
    case "enum":
      return desc.parent === undefined
        ? [5, desc.file.proto.enumType.indexOf(desc.proto)]
        : [...sourcePath(desc.parent), 4, desc.parent.proto.enumType.indexOf(desc.proto)];
  }
}

function clean(comment: string | undefined): string {
  if (comment === undefined) return "";
  return comment
    .split("\n")
    .map((line) => (line.startsWith(" ") ? line.slice(1) : line).trimEnd())
    .filter((line) => !line.startsWith("buf:lint:"))
    .join("\n")
    .trim();
}
