import type { DescService, JsonObject, Message } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { createRestHandler } from "../../../server/rest/create-rest-handler.js";
import { isJsonContentType } from "../../../server/rest/request-from-http.js";
import { inlineService } from "./inline-service.js";
import { startHttp, type TestServer } from "./rest-test-server.js";

// test.v1.Thing as protobuf-es shapes it (see inline-service.ts).
type Thing = Message & {
  name: string;
  inner?: { id: string; child?: { id: string } };
  tags: string[];
  big: bigint;
  flag: boolean;
  color: number;
  count: number;
};

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startThings(seen: Thing[]) {
  const service: DescService = inlineService([
    { name: "Get", rule: { pattern: { case: "get", value: "/v1/things/{inner.child.id}" } } },
    {
      name: "Put",
      rule: { pattern: { case: "put", value: "/v1/things/{name}" }, body: "inner", responseBody: "inner" },
    },
    { name: "Read", rule: { pattern: { case: "get", value: "/v1/{name=files/**}:read" } } },
  ]);
  const echo = (req: Thing) => {
    seen.push(req);
    return req;
  };
  const impl = { get: echo, put: echo, read: echo } as unknown as Partial<ServiceImpl<DescService>>;
  server = await startHttp(createRestHandler({ services: [{ service, impl }] }));
  return server.url;
}

describe("requestFromHttp", () => {
  it("sets nested path fields and typed query parameters, repeated ones appended", async () => {
    const seen: Thing[] = [];
    const url = await startThings(seen);
    const res = await fetch(
      `${url}/v1/things/c%2F1?tags=a&tags=b%20c&big=9007199254740993&flag=true&color=COLOR_RED&count=-7&inner.id=i1`,
    );
    expect(res.status).toBe(200);
    const m = seen[0]!;
    expect(m.inner?.child?.id).toBe("c/1");
    expect(m.inner?.id).toBe("i1");
    expect(m.tags).toEqual(["a", "b c"]);
    expect(m.big).toBe(9007199254740993n);
    expect(m.flag).toBe(true);
    expect(m.color).toBe(1);
    expect(m.count).toBe(-7);
    expect(await res.json()).toEqual({
      name: "",
      inner: { id: "i1", child: { id: "c/1" } },
      tags: ["a", "b c"],
      big: "9007199254740993",
      flag: true,
      color: "COLOR_RED",
      count: -7,
    });
  });

  it("names each query parameter of the wrong type or out of range", async () => {
    const url = await startThings([]);
    const res = await fetch(`${url}/v1/things/x?count=99999999999&flag=yes&big=1.5&color=BLUE&inner=x`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { details: { debug: JsonObject }[] };
    const violations = body.details[0]?.debug.field_violations as { field: string }[];
    expect(violations.map((v) => v.field)).toEqual(["count", "flag", "big", "color", "inner"]);
  });

  it("maps body: field to that field and answers with response_body", async () => {
    const seen: Thing[] = [];
    const url = await startThings(seen);
    const res = await fetch(`${url}/v1/things/n1?count=3`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "i9", child: { id: "c9" } }),
    });
    expect(res.status).toBe(200);
    expect(seen[0]?.name).toBe("n1");
    expect(seen[0]?.count).toBe(3);
    expect(seen[0]?.inner?.id).toBe("i9");
    expect(await res.json()).toEqual({ id: "i9", child: { id: "c9" } });
  });

  it("names an unknown key inside a body field with the field's path", async () => {
    const url = await startThings([]);
    const res = await fetch(`${url}/v1/things/n1`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "i9", child: { nope: 1 } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^inner\.child\.nope: unknown field/);
  });

  it("binds a ** variable to the rest of the path", async () => {
    const seen: Thing[] = [];
    const url = await startThings(seen);
    expect((await fetch(`${url}/v1/files/a/b%2Fc:read`)).status).toBe(200);
    expect(seen[0]?.name).toBe("files/a/b%2Fc");
  });
});

describe("isJsonContentType", () => {
  it("accepts application/json with parameters and +json types only", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/merge-patch+json")).toBe(true);
    expect(isJsonContentType("text/plain")).toBe(false);
    expect(isJsonContentType("application/jsonx")).toBe(false);
    expect(isJsonContentType("multipart/form-data; boundary=x")).toBe(false);
  });
});
