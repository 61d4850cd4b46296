import type { RuleSchema } from "./field-rules.js";

/**
 * Checks that a string is a well-formed BCP 47 language tag (RFC 5646 syntax,
 * not registry validity), for `session_settings.voice.language`:
 *
 *   language   2-3 letters (then up to three 3-letter extlangs) or 4-8 letters
 *   script     -4 letters
 *   region     -2 letters or -3 digits
 *   variants   -5..8 alphanumerics or -digit + 3 alphanumerics, any number
 *   extensions -singleton (not x) followed by one or more -2..8 alphanumerics
 *   private    -x followed by one or more -1..8 alphanumerics
 *
 * Case-insensitive; ASCII only; at most 35 characters (the length RFC 5646
 * asks implementations to support). Grandfathered tags (`i-klingon`) and
 * private-use-only tags (`x-foo`) are not accepted: a voice needs a language.
 *
 * Returns a description naming the rule, or `undefined`.
 */
export function checkBcp47(value: string): string | undefined {
  // The length check also bounds the regex's work.
  if (value.length > MAX_LENGTH) return BCP47_RULE;
  return BCP47.test(value) ? undefined : BCP47_RULE;
}

const MAX_LENGTH = 35;
// No `i` flag: [A-Za-z] spelled out keeps non-ASCII case folds (e.g. the
// Kelvin sign) out.
const BCP47 = new RegExp(
  [
    "^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})", // language
    "(?:-[A-Za-z]{4})?", // script
    "(?:-(?:[A-Za-z]{2}|[0-9]{3}))?", // region
    "(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*", // variants
    "(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*", // extensions
    "(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$", // private use
  ].join(""),
);
/** What `checkBcp47` accepts: the same pattern and length. */
export const bcp47Schema: RuleSchema = { pattern: BCP47.source, minLength: 2, maxLength: MAX_LENGTH };
const BCP47_RULE = `must be a BCP 47 language tag such as en or en-US: language, then optional script, region, variants, extensions and private use; at most ${MAX_LENGTH} characters`;
