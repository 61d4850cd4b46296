import { describe, expect, it } from "vitest";
import { checkBcp47 } from "../../../server/validation/check-bcp47.js";

describe("checkBcp47", () => {
  it.each([
    "en",
    "EN-us",
    "en-US",
    "de",
    "fil",
    "zh-Hant",
    "zh-Hant-TW",
    "zh-yue-HK",
    "sr-Latn-RS",
    "es-419",
    "de-CH-1996",
    "sl-rozaj-biske",
    "de-DE-u-co-phonebk",
    "en-US-x-twain",
    "en-a-bbb-x-a-ccc",
    "hy-Latn-IT-arevela",
    "qaa",
    "abcd",
    "abcdefgh",
    "en-US-u-ca-gregory-nu-latn", // 26 chars
    `${"a".repeat(8)}-Latn-US-12345678-x-abcdefg`, // 35 chars
  ])("accepts %j", (value) => {
    expect(checkBcp47(value)).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["one letter", "e"],
    ["nine letters", "abcdefghi"],
    ["underscore separator", "en_US"],
    ["trailing dash", "en-"],
    ["leading dash", "-en"],
    ["double dash", "en--US"],
    ["digit language", "12"],
    ["one-letter region", "en-U"],
    ["four-digit region (not a variant)", "en-Latn-1"],
    ["extension without subtags", "en-a"],
    ["extension with a one-char subtag", "en-a-b"],
    ["private use without subtags", "en-x"],
    ["private use subtag of 9 chars", "en-x-abcdefghi"],
    ["private use only", "x-whatever"],
    ["grandfathered", "i-klingon"],
    ["space", "en US"],
    ["trailing newline", "en\n"],
    ["36 characters", `${"a".repeat(8)}-Latn-US-12345678-x-abcdefgh`],
    ["Kelvin sign look-alike of K", "\u212ao"],
    ["Cyrillic look-alike", "\u0435n"],
    ["fullwidth", "\uff45\uff4e"],
    ["long input", `${"en-".repeat(10_000)}US`],
  ])("rejects %s", (_name, value) => {
    expect(checkBcp47(value)).toBe(
      "must be a BCP 47 language tag such as en or en-US: language, then optional script, region, variants, extensions and private use; at most 35 characters",
    );
  });
});
