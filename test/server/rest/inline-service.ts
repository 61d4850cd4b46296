import { create, createFileRegistry, type DescService, setExtension } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  MethodOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { http } from "../../../gen/google/api/annotations_pb.js";
import { type HttpRule, HttpRuleSchema } from "../../../gen/google/api/http_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";

type RuleInit = MessageInitShape<typeof HttpRuleSchema>;

/** One method of the inline test service: its name, rule, and whether it streams responses. */
export interface InlineMethod {
  name: string;
  rule?: RuleInit;
  serverStreaming?: boolean;
}

const T = FieldDescriptorProto_Type;
const L = FieldDescriptorProto_Label;

/**
 * Build `test.v1.Things` from an inline descriptor, with the given methods, all
 * taking `test.v1.Thing` and returning `test.v1.Thing`:
 *
 *     message Thing { string name = 1; Inner inner = 2; repeated string tags = 3;
 *       int64 big = 4; bool flag = 5; Color color = 6; int32 count = 7; }
 *     message Inner { string id = 1; Inner child = 2; }
 *     enum Color { COLOR_UNSPECIFIED = 0; COLOR_RED = 1; }
 *
 * A new annotated RPC needs only its rule here: no REST code.
 */
export function inlineService(methods: readonly InlineMethod[]): DescService {
  const field = (name: string, number: number, type: FieldDescriptorProto_Type, extra: object = {}) => ({
    name,
    number,
    type,
    label: L.OPTIONAL,
    jsonName: name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
    ...extra,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "test/v1/things.proto",
    package: "test.v1",
    syntax: "proto3",
    enumType: [
      {
        name: "Color",
        value: [
          { name: "COLOR_UNSPECIFIED", number: 0 },
          { name: "COLOR_RED", number: 1 },
        ],
      },
    ],
    messageType: [
      {
        name: "Thing",
        field: [
          field("name", 1, T.STRING),
          field("inner", 2, T.MESSAGE, { typeName: ".test.v1.Inner" }),
          field("tags", 3, T.STRING, { label: L.REPEATED }),
          field("big", 4, T.INT64),
          field("flag", 5, T.BOOL),
          field("color", 6, T.ENUM, { typeName: ".test.v1.Color" }),
          field("count", 7, T.INT32),
        ],
      },
      {
        name: "Inner",
        field: [field("id", 1, T.STRING), field("child", 2, T.MESSAGE, { typeName: ".test.v1.Inner" })],
      },
    ],
    service: [
      {
        name: "Things",
        method: methods.map((m) => {
          const options = create(MethodOptionsSchema);
          if (m.rule !== undefined) setExtension(options, http, create(HttpRuleSchema, m.rule) as HttpRule);
          return {
            name: m.name,
            inputType: ".test.v1.Thing",
            outputType: ".test.v1.Thing",
            serverStreaming: m.serverStreaming ?? false,
            options,
          };
        }),
      },
    ],
  });
  const registry = createFileRegistry(file, () => undefined);
  const service = registry.getService("test.v1.Things");
  if (service === undefined) throw new Error("inline service missing");
  return service;
}
