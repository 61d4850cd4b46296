import { type DescMethod, type DescService, getOption } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";

/** One `google.api.http` binding of a method (the rule or one of its additional_bindings). */
export interface HttpBinding {
  readonly method: DescMethod;
  /** Lower-case HTTP method, as OpenAPI path items key it. */
  readonly httpMethod: string;
  /** The path template as written, for example `/v1/{name=things/*}`. */
  readonly template: string;
  /** `""`, `"*"` or a top-level field name of the input. */
  readonly body: string;
  /** `""` or a top-level field name of the output. */
  readonly responseBody: string;
  /** 0 for the rule itself, 1… for its additional bindings. */
  readonly index: number;
}

/** The HTTP bindings of every method of `services`, in declaration order. */
export function listHttpBindings(services: readonly DescService[]): HttpBinding[] {
  const out: HttpBinding[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const rule = getOption(method, http);
      if (rule.pattern.case === undefined) continue;
      [rule, ...rule.additionalBindings].forEach((r, index) => {
        let httpMethod: string;
        let template: string;
        if (r.pattern.case === "custom") {
          httpMethod = r.pattern.value.kind.toLowerCase();
          template = r.pattern.value.path;
        } else if (r.pattern.case !== undefined) {
          httpMethod = r.pattern.case;
          template = r.pattern.value;
        } else {
          return;
        }
        out.push({ method, httpMethod, template, body: r.body, responseBody: r.responseBody, index });
      });
    }
  }
  return out;
}
