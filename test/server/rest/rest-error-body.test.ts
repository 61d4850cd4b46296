import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { badRequest } from "../../../server/errors/bad-request.js";
import { restErrorBody } from "../../../server/rest/rest-error-body.js";

describe("restErrorBody", () => {
  it("hides anything that is not a ConnectError behind internal error", () => {
    expect(restErrorBody(new Error("password=hunter2"))).toEqual({
      status: 500,
      body: { code: "internal", message: "internal error", details: [], detail: "internal error" },
      headers: undefined,
    });
    expect(restErrorBody("a string").body.message).toBe("internal error");
  });

  it("keeps code, raw message, metadata and status of a ConnectError", () => {
    const e = restErrorBody(new ConnectError("client went away", Code.Canceled, { "x-a": "1" }));
    expect(e.status).toBe(499);
    expect(e.body).toEqual({ code: "canceled", message: "client went away", details: [], detail: "client went away" });
    expect(e.headers?.get("x-a")).toBe("1");
  });

  it("encodes outgoing details as type, padded base64 and proto-named JSON", () => {
    const e = restErrorBody(badRequest([{ field: "machine_id", description: "unknown machine" }]));
    expect(e.status).toBe(400);
    const [d] = e.body.details;
    expect(d?.type).toBe("google.rpc.BadRequest");
    expect(d!.value.length % 4).toBe(0);
    expect(fromBinary(BadRequestSchema, Buffer.from(d!.value, "base64")).fieldViolations[0]?.field).toBe("machine_id");
    expect(d?.debug).toEqual({ field_violations: [{ field: "machine_id", description: "unknown machine" }] });
    expect(e.body.detail).toBe(e.body.message);
  });

  it("passes incoming details (from a downstream call) through", () => {
    const value = toBinary(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: "x" }] }));
    const err = new ConnectError("bad", Code.InvalidArgument);
    err.details.push({ type: "google.rpc.BadRequest", value, debug: { fieldViolations: [{ field: "x" }] } });
    expect(restErrorBody(err).body.details).toEqual([
      {
        type: "google.rpc.BadRequest",
        value: Buffer.from(value).toString("base64"),
        debug: { fieldViolations: [{ field: "x" }] },
      },
    ]);
  });
});
