import {
  create,
  type DescFile,
  type FileRegistry,
  createFileRegistry,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { type ServiceBinding, serviceBinding } from "../rpc/service-binding.js";
import { createDescFileRegistry } from "./create-desc-file-registry.js";
import { createSymbolIndex } from "./create-symbol-index.js";

export interface ReflectionOptions {
  /**
   * The files of the served services and everything they import, for example
   * `createDescFileRegistry(file_workspaces_v1_workspace_session_service, …)`.
   * The reflection protos themselves are added automatically.
   */
  registry: FileRegistry;
  /**
   * Full names of the services to list, for example
   * `"workspaces.v1.WorkspaceSessionService"`. Both reflection services are
   * appended automatically; add `"grpc.health.v1.Health"` if it is served.
   */
  serviceNames: readonly string[];
}

/** The request's oneof, shared by v1 and v1alpha (they are wire-identical). */
type MessageRequest =
  | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };

/** The response's oneof as an init shape both versions accept. */
type MessageResponse =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

const reflectionNames = [v1.ServerReflection.typeName, v1alpha.ServerReflection.typeName];

/**
 * gRPC server reflection, `grpc.reflection.v1.ServerReflection` and its
 * predecessor `grpc.reflection.v1alpha.ServerReflection`: one implementation
 * behind two service descriptors, so grpcurl, `buf curl`, Postman and other
 * tools can list the services and fetch their schemas.
 *
 * Answers `list_services`, `file_by_filename`, `file_containing_symbol`
 * (services, methods, messages, fields, oneofs, enums, enum values,
 * extensions), `file_containing_extension` and
 * `all_extension_numbers_of_type`. File answers carry the file and all its
 * transitive imports as serialized `FileDescriptorProto`s, the requested file
 * first. Unknown names answer `error_response` with NOT_FOUND on the open
 * stream, as the protocol asks; an empty request answers INVALID_ARGUMENT.
 * Serialized files are cached after their first use.
 *
 * The services are meant to be served without authentication, like gRPC
 * health: they expose only the schema.
 */
export function createReflectionServices(options: ReflectionOptions): ServiceBinding[] {
  const registry = createFileRegistry(
    options.registry,
    createDescFileRegistry(v1.file_grpc_reflection_v1_reflection, v1alpha.file_grpc_reflection_v1alpha_reflection),
  );
  const symbols = createSymbolIndex(registry);
  const serviceNames = [...new Set([...options.serviceNames, ...reflectionNames])];
  const listServices: MessageResponse = {
    case: "listServicesResponse",
    value: { service: serviceNames.map((name) => ({ name })) },
  };
  const serialized = new Map<string, Uint8Array>();

  const serialize = (file: DescFile): Uint8Array => {
    let bytes = serialized.get(file.proto.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file.proto.name, bytes);
    }
    return bytes;
  };

  const withDependencies = (file: DescFile): MessageResponse => {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile): void => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(serialize(f));
      for (const dep of f.dependencies) visit(dep);
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  };

  const error = (code: Code, message: string): MessageResponse => ({
    case: "errorResponse",
    value: { errorCode: code, errorMessage: message },
  });

  const answer = (request: MessageRequest): MessageResponse => {
    switch (request.case) {
      case "listServices":
        return listServices;
      case "fileByFilename": {
        const file = registry.getFile(request.value);
        return file ? withDependencies(file) : error(Code.NotFound, `file not found: ${request.value}`);
      }
      case "fileContainingSymbol": {
        const file = symbols.get(request.value);
        return file ? withDependencies(file) : error(Code.NotFound, `symbol not found: ${request.value}`);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = request.value;
        const extendee = registry.getMessage(containingType);
        const ext = extendee ? registry.getExtensionFor(extendee, extensionNumber) : undefined;
        return ext
          ? withDependencies(ext.file)
          : error(Code.NotFound, `extension not found: ${containingType} ${extensionNumber}`);
      }
      case "allExtensionNumbersOfType": {
        if (!registry.getMessage(request.value)) return error(Code.NotFound, `type not found: ${request.value}`);
        const numbers: number[] = [];
        for (const type of registry) {
          if (type.kind === "extension" && type.extendee.typeName === request.value) numbers.push(type.number);
        }
        return {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: request.value, extensionNumber: numbers.sort((a, b) => a - b) },
        };
      }
      default:
        return error(Code.InvalidArgument, "empty reflection request");
    }
  };

  const v1Impl: ServiceImpl<typeof v1.ServerReflection> = {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(request.messageRequest),
        });
      }
    },
  };
  const v1alphaImpl: ServiceImpl<typeof v1alpha.ServerReflection> = {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(request.messageRequest),
        });
      }
    },
  };
  return [
    serviceBinding(v1.ServerReflection, v1Impl),
    serviceBinding(v1alpha.ServerReflection, v1alphaImpl),
  ];
}
