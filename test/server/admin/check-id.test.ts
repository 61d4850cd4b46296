import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { checkId, idProblem } from "../../../server/admin/check-id.js";
import { expectCode } from "../store/store-contract-fixtures.js";

describe("idProblem", () => {
  it("accepts 1-64 letters, digits, '.', '_' and '-' starting with a letter or digit", () => {
    for (const ok of ["a", "acme", "A.b_c-9", "0", "x".repeat(64)]) expect(idProblem("workspace", ok)).toBeUndefined();
  });

  it("says what is wrong with anything else, naming the id", () => {
    for (const bad of ["", "-a", ".a", "a b", "a/b", "x".repeat(65), "é"]) {
      expect(idProblem("machine", bad)).toBe(
        `invalid machine id ${JSON.stringify(bad)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
  });
});

describe("checkId", () => {
  it("returns a valid id as it is", () => {
    expect(checkId("workspace", "acme")).toBe("acme");
  });

  it("throws invalid_argument for an invalid one", async () => {
    await expectCode(
      (async () => checkId("workspace", "no spaces"))(),
      Code.InvalidArgument,
      /^invalid workspace id "no spaces"/,
    );
  });
});
