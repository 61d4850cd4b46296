import { create, isMessage, type JsonValue, toBinary, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { httpStatusFromCode } from "../errors/http-status-from-code.js";

/** One error detail: its type name, standard base64 of its binary form, and its JSON form. */
export interface RestErrorDetail {
  type: string;
  value: string;
  debug?: JsonValue;
}

/**
 * The JSON body of a REST error. `detail` repeats `message` for callers
 * written against FastAPI-style APIs.
 */
export interface RestErrorBody {
  code: string;
  message: string;
  details: RestErrorDetail[];
  detail: string;
}

/** An error as a REST response: status, body, and the error's metadata as headers. */
export interface RestError {
  status: number;
  body: RestErrorBody;
  /** ConnectError metadata, sent as response headers; undefined when there is none. */
  headers: Headers | undefined;
}

/**
 * Turn anything thrown into the REST error response. A `ConnectError` keeps its
 * code, message, details and metadata; anything else becomes `internal` with the
 * message "internal error", so that foreign messages (SQL, paths, stack traces)
 * never reach the caller.
 *
 * Details are `{type, value, debug}`: `value` is standard, padded base64 of the
 * detail's binary encoding, `debug` its JSON with proto field names (the same
 * names as REST responses), for example
 * `{"field_violations": [{"field": "machine_id", "description": "..."}]}`.
 */
export function restErrorBody(error: unknown): RestError {
  if (!(error instanceof ConnectError)) {
    return { status: 500, body: bodyOf(Code.Internal, "internal error", []), headers: undefined };
  }
  const details: RestErrorDetail[] = [];
  for (const d of error.details) {
    if ("desc" in d) {
      const msg = isMessage(d.value, d.desc) ? d.value : create(d.desc, d.value);
      details.push({
        type: d.desc.typeName,
        value: Buffer.from(toBinary(d.desc, msg)).toString("base64"),
        debug: toJson(d.desc, msg, { useProtoFieldName: true }),
      });
    } else {
      const detail: RestErrorDetail = { type: d.type, value: Buffer.from(d.value).toString("base64") };
      if (d.debug !== undefined) detail.debug = d.debug;
      details.push(detail);
    }
  }
  let headers: Headers | undefined;
  error.metadata.forEach((value, key) => {
    headers ??= new Headers();
    headers.append(key, value);
  });
  return { status: httpStatusFromCode(error.code), body: bodyOf(error.code, error.rawMessage, details), headers };
}

function bodyOf(code: Code, message: string, details: RestErrorDetail[]): RestErrorBody {
  return { code: codeToString(code), message, details, detail: message };
}
