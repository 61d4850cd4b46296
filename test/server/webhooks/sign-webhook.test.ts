import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook } from "../../../server/webhooks/sign-webhook.js";

describe("signWebhook", () => {
  it("signs the timestamp, a dot and the body with HMAC-SHA256 of the secret, as v1= and lower-case hex", () => {
    const body = '{"event":"launched"}';
    const expected = createHmac("sha256", "whsec_key").update(`1700000000.${body}`).digest("hex");
    expect(signWebhook("whsec_key", "1700000000", body)).toBe(`v1=${expected}`);
  });

  it("matches what openssl computes", () => {
    // printf '%s' '1.{}' | openssl dgst -sha256 -hmac whsec_test
    expect(signWebhook("whsec_test", "1", "{}")).toBe("v1=7500d5d4be4b3ef07af1fe56f7d522d135cdaa7530de557e67cc1049c52de094");
  });

  it("changes with the secret, the timestamp and every byte of the body", () => {
    const base = signWebhook("a", "1", "body");
    expect(signWebhook("b", "1", "body")).not.toBe(base);
    expect(signWebhook("a", "2", "body")).not.toBe(base);
    expect(signWebhook("a", "1", "bodz")).not.toBe(base);
    expect(signWebhook("a", "1", "body")).toBe(base);
  });
});
