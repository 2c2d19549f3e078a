import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openSecret, parseSecretKey, readSecretKey, requireSecretKey, sealSecret, SecretKeyError } from "../../src/events/secret-box.js";

const KEY_TEXT = randomBytes(32).toString("base64");

describe("ROSTER_SECRET_KEY", () => {
  it("reads 32 bytes of base64, standard or URL-safe, and nothing when unset or empty", () => {
    expect(readSecretKey({ ROSTER_SECRET_KEY: KEY_TEXT })?.length).toBe(32);
    const urlSafe = Buffer.from(KEY_TEXT, "base64").toString("base64url");
    expect(readSecretKey({ ROSTER_SECRET_KEY: urlSafe })?.equals(Buffer.from(KEY_TEXT, "base64"))).toBe(true);
    expect(readSecretKey({})).toBeUndefined();
    expect(readSecretKey({ ROSTER_SECRET_KEY: "" })).toBeUndefined();
  });

  it.each([
    ["too short", randomBytes(16).toString("base64"), /decodes to 16 bytes; it must be 32 random bytes in base64 — make one with: openssl rand -base64 32/],
    ["too long", randomBytes(48).toString("base64"), /decodes to 48 bytes/],
    ["not base64", "this is not a key!", /is not base64 .*openssl rand -base64 32/],
  ])("refuses a key that is %s, saying how to make one", (_label, text, message) => {
    expect(() => parseSecretKey(text)).toThrow(SecretKeyError);
    expect(() => parseSecretKey(text)).toThrow(message);
  });

  it("says the key is needed and how to make one when it is required but missing", () => {
    expect(() => requireSecretKey({}, "webhook secrets are encrypted with it")).toThrow(
      "ROSTER_SECRET_KEY is not set; webhook secrets are encrypted with it; make one with: openssl rand -base64 32",
    );
  });
});

describe("sealSecret / openSecret", () => {
  const key = parseSecretKey(KEY_TEXT);

  it("round-trips a secret and never stores it in the clear", () => {
    const sealed = sealSecret(key, "whsec_c2VjcmV0", "webhook w1");
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain("c2VjcmV0");
    expect(openSecret(key, sealed, "webhook w1")).toBe("whsec_c2VjcmV0");
    expect(sealSecret(key, "whsec_c2VjcmV0", "webhook w1")).not.toBe(sealed);
  });

  it("refuses to open with another key, for another webhook, or after tampering", () => {
    const sealed = sealSecret(key, "whsec_c2VjcmV0", "webhook w1");
    const other = parseSecretKey(randomBytes(32).toString("base64"));
    expect(() => openSecret(other, sealed, "webhook w1")).toThrow("ROSTER_SECRET_KEY cannot decrypt the stored secret of webhook w1: it is not the key that secret was encrypted with");
    expect(() => openSecret(key, sealed, "webhook w2")).toThrow(SecretKeyError);
    const bytes = Buffer.from(sealed.slice(3), "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => openSecret(key, `v1:${bytes.toString("base64")}`, "webhook w1")).toThrow(SecretKeyError);
    expect(() => openSecret(key, "plain", "webhook w1")).toThrow("the stored secret of webhook w1 is not in a format this Roster knows");
  });
});
