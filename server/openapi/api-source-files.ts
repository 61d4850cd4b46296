import { fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { descriptorSetBase64 } from "../../gen/descriptor_set.js";

let files: readonly FileDescriptorProto[] | undefined;

/**
 * The API's .proto files (package `workspaces.v1`) with their source code
 * info, i.e. their comments: gen/descriptor_set.ts, which `npm run gen` writes
 * beside the generated code (build/protoc-gen-descriptor-set.mjs). Compiled
 * into the bundle like the rest of gen/, so the served document is described
 * in a checkout, in dist/ and in an installed package alike. Decoded once, on
 * first use.
 */
export function apiSourceFiles(): readonly FileDescriptorProto[] {
  files ??= fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64")).file;
  return files;
}
