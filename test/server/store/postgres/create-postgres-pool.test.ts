import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  createPostgresPool,
  defaultPoolSize,
  parsePostgresUrl,
} from "../../../../server/store/postgres/create-postgres-pool.js";

describe("parsePostgresUrl", () => {
  it("takes ?schema= and ?pool_size= out and sets the search_path", () => {
    const settings = parsePostgresUrl("postgres://app:s3cret@db.internal:6432/wsctl?schema=wsctl&pool_size=25&sslmode=require");
    expect(settings.schema).toBe("wsctl");
    expect(settings.poolSize).toBe(25);
    const url = new URL(settings.clientConfig.connectionString!);
    expect(url.searchParams.get("options")).toBe("-c search_path=wsctl");
    expect(url.searchParams.get("sslmode")).toBe("require");
    expect(url.searchParams.has("schema")).toBe(false);
    expect(url.searchParams.has("pool_size")).toBe(false);
    expect(url.password).toBe("s3cret");
  });

  it("keeps other options beside the search_path, and leaves a plain URL alone", () => {
    const withOptions = parsePostgresUrl("postgresql://h/db?options=-c%20statement_timeout%3D5000&schema=s1");
    expect(new URL(withOptions.clientConfig.connectionString!).searchParams.get("options")).toBe(
      "-c statement_timeout=5000 -c search_path=s1",
    );
    expect(parsePostgresUrl("postgres://h/db")).toEqual({
      clientConfig: { connectionString: "postgres://h/db" },
      poolSize: undefined,
      schema: undefined,
    });
  });

  it.each([
    ["not a URL", "postgres//nope"],
    ["another scheme", "mysql://h/db"],
    ["a quoted schema", "postgres://h/db?schema=Bad%22Name"],
    ["a schema with a space", "postgres://h/db?schema=a%20b"],
    ["pool_size 0", "postgres://h/db?pool_size=0"],
    ["pool_size not a number", "postgres://h/db?pool_size=many"],
  ])("refuses %s with invalid_argument, never repeating the URL", (_, url) => {
    let caught: unknown;
    try {
      parsePostgresUrl(`${url}${url.includes("?") ? "&" : "?"}password=hunter2`);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConnectError);
    expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
    expect((caught as ConnectError).rawMessage).not.toMatch(/hunter2|mysql|nope|h\/db/);
  });
});

describe("createPostgresPool", () => {
  it("sizes the pool from the option, else the URL, else the default, without connecting", async () => {
    const sized = (url: string, poolSize?: number) => {
      const { pool } = createPostgresPool({ url, poolSize });
      void pool.end();
      return pool.options.max;
    };
    expect(sized("postgres://127.0.0.1:1/db")).toBe(defaultPoolSize);
    expect(sized("postgres://127.0.0.1:1/db?pool_size=3")).toBe(3);
    expect(sized("postgres://127.0.0.1:1/db?pool_size=3", 7)).toBe(7);
    const named = createPostgresPool({ url: "postgres://127.0.0.1:1/db?schema=abc" });
    await named.pool.end();
    expect(named.schema).toBe("abc");
  });
});
