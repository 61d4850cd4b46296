import type { DescEnum, DescField, DescFile, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";

/** A described element of a .proto file. */
export type Commented = DescMessage | DescEnum | DescService | DescMethod | DescField;

/**
 * Reads the .proto comment of a descriptor from its file's source code info.
 * Generated code embeds descriptors without source info, so for them every
 * answer is undefined; descriptors loaded from a `buf build` image (which
 * keeps it) are described. `buf:lint:ignore` lines are dropped. Each file's
 * comments are indexed once, on first use.
 */
export function createCommentReader(): (desc: Commented) => string | undefined {
  const byFile = new Map<DescFile, Map<string, string>>();
  const indexOf = (file: DescFile): Map<string, string> => {
    let index = byFile.get(file);
    if (index === undefined) {
      index = new Map();
      for (const loc of file.proto.sourceCodeInfo?.location ?? []) {
        const text = clean(loc.leadingComments || loc.trailingComments);
        if (text !== "") index.set(loc.path.join(","), text);
      }
      byFile.set(file, index);
    }
    return index;
  };
  return (desc) => {
    const file = desc.kind === "field" || desc.kind === "rpc" ? desc.parent.file : desc.file;
    if (file.proto.sourceCodeInfo === undefined) return undefined;
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
