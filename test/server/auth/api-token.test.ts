import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateToken, hashToken, looksLikeToken, parseBearer } from "../../../server/auth/api-token.js";

describe("generateToken", () => {
  it("makes API tokens with the wsa_ prefix and 32 random bytes in base64url", () => {
    const { token, tokenId, hashHex } = generateToken("api");
    expect(token).toMatch(/^wsa_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), "base64url")).toHaveLength(32);
    expect(tokenId).toMatch(/^tok_[0-9a-f]{12}$/);
    expect(hashHex).toMatch(/^[0-9a-f]{64}$/);
  });

  it("makes machine tokens with the wsm_ prefix", () => {
    expect(generateToken("machine").token).toMatch(/^wsm_[A-Za-z0-9_-]{43}$/);
  });

  it("returns the SHA-256 of the full token as its hash", () => {
    const { token, hashHex } = generateToken("machine");
    expect(hashHex).toBe(createHash("sha256").update(token).digest("hex"));
    expect(hashToken(token)).toBe(hashHex);
  });

  it("never repeats a token or a token id", () => {
    const tokens = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = generateToken("api");
      tokens.add(t.token);
      ids.add(t.tokenId);
    }
    expect(tokens.size).toBe(1000);
    expect(ids.size).toBe(1000);
  });
});

describe("hashToken", () => {
  it("is deterministic and differs between tokens", () => {
    expect(hashToken("wsa_a")).toBe(hashToken("wsa_a"));
    expect(hashToken("wsa_a")).not.toBe(hashToken("wsa_b"));
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("parseBearer", () => {
  it("returns the token of a Bearer header in any case", () => {
    expect(parseBearer("Bearer wsa_abc")).toBe("wsa_abc");
    expect(parseBearer("bearer wsa_abc")).toBe("wsa_abc");
    expect(parseBearer("BEARER wsa_abc")).toBe("wsa_abc");
    expect(parseBearer("bEaReR x")).toBe("x");
  });

  it("rejects missing values and other schemes", () => {
    expect(parseBearer(null)).toBeUndefined();
    expect(parseBearer(undefined)).toBeUndefined();
    expect(parseBearer("")).toBeUndefined();
    expect(parseBearer("Bearer")).toBeUndefined();
    expect(parseBearer("Bearer ")).toBeUndefined();
    expect(parseBearer("Basic dXNlcjpwYXNz")).toBeUndefined();
    expect(parseBearer("Bearerwsa_abc")).toBeUndefined();
    expect(parseBearer("wsa_abc")).toBeUndefined();
  });

  it("wants exactly one space and exactly one token", () => {
    expect(parseBearer("Bearer  wsa_abc")).toBeUndefined();
    expect(parseBearer("Bearer wsa_abc extra")).toBeUndefined();
    expect(parseBearer("Bearer\twsa_abc")).toBeUndefined();
    expect(parseBearer(" Bearer wsa_abc")).toBeUndefined();
  });

  it("rejects control characters and non-ASCII", () => {
    expect(parseBearer("Bearer wsa_\u0000abc")).toBeUndefined();
    expect(parseBearer("Bearer wsa_abc\n")).toBeUndefined();
    expect(parseBearer("Bearer wsa_\u007fabc")).toBeUndefined();
    expect(parseBearer("Bearer wsa_é")).toBeUndefined();
  });

  it("accepts tokens up to 512 characters and no longer", () => {
    expect(parseBearer(`Bearer ${"a".repeat(512)}`)).toBe("a".repeat(512));
    expect(parseBearer(`Bearer ${"a".repeat(513)}`)).toBeUndefined();
    expect(parseBearer(`Bearer ${"a".repeat(100_000)}`)).toBeUndefined();
  });
});

describe("looksLikeToken", () => {
  it("tells tokens from token ids", () => {
    expect(looksLikeToken(generateToken("api").token)).toBe(true);
    expect(looksLikeToken(generateToken("machine").token)).toBe(true);
    expect(looksLikeToken(generateToken("api").tokenId)).toBe(false);
  });
});
