import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhook, webhookHeaders } from "../../src/events/signature.js";

describe("Standard Webhooks signatures", () => {
  it("makes secrets of whsec_ and 32 random bytes in base64", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice("whsec_".length), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it("signs so that the standardwebhooks library verifies the body, id and timestamp", () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ id: "evt-1", type: "user.created", data: { user: { userName: "dana@example.com", displayName: "Dána ✓" } } });
    const headers = webhookHeaders(secret, "evt-1", new Date(), body);
    expect(headers["webhook-id"]).toBe("evt-1");
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("matches the library's own signature for the same input", () => {
    const secret = generateWebhookSecret();
    const at = new Date("2026-01-01T00:00:00.000Z");
    expect(signWebhook(secret, "msg_1", at.getTime() / 1000, "{}")).toBe(new Webhook(secret).sign("msg_1", at, "{}"));
  });

  it("fails verification for another secret, another body or another id", () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders(secret, "evt-1", new Date(), "{}");
    expect(() => new Webhook(generateWebhookSecret()).verify("{}", headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify('{"a":1}', headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify("{}", { ...headers, "webhook-id": "evt-2" })).toThrow(WebhookVerificationError);
  });
});
