import type { FastifyRequest } from "fastify";
import { API_KEY_PREFIX } from "../directory/api-keys.js";
import { authenticateToken, whyTokenRefused } from "../directory/tokens.js";
import { ScimError } from "../scim/errors.js";
import type { Store, Tenant } from "../store/store.js";

/**
 * Reads the bearer token. Tolerates what admins paste into Okta's "API Token" field:
 * the token alone, or with a "Bearer " prefix (which Okta then sends as "Bearer Bearer …").
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let value = header.trim();
  while (/^bearer\s+/i.test(value)) value = value.replace(/^bearer\s+/i, "").trim();
  return value.length === 0 || /\s/.test(value) ? undefined : value;
}

/** Resolves the request's tenant from its token; throws 401 unless the token belongs to `slug`. */
export async function authenticate(store: Store, request: FastifyRequest, slug: string): Promise<Tenant> {
  const presented = bearerToken(request.headers.authorization);
  if (presented === undefined) {
    throw new ScimError("unauthorized", "missing bearer token: send Authorization: Bearer <token>");
  }
  const found = await authenticateToken(store, presented);
  if (found === undefined) throw new ScimError("unauthorized", await refusalMessage(store, presented));
  if (found.tenant.slug !== slug) {
    throw new ScimError("unauthorized", "the bearer token is not valid for this SCIM base URL: it was issued for another tenant; use the SCIM base URL printed with it");
  }
  return found.tenant;
}

const GENERIC_REFUSAL = "the bearer token is not valid for this SCIM base URL (unknown, revoked, or issued for another tenant)";

/**
 * Why a SCIM request's token was refused, where saying so tells the caller nothing beyond
 * what the token it holds already gives: an API key sent as a SCIM token, a revoked token,
 * a token whose owner was deactivated or deleted (never who the owner is). Runs on refusals
 * only; the handler writes the message into the request log's error detail too.
 */
async function refusalMessage(store: Store, presented: string): Promise<string> {
  if (presented.startsWith(API_KEY_PREFIX)) {
    return `this is a management API key (${API_KEY_PREFIX}…), not a SCIM token: the SCIM API takes a bearer token from "roster tokens create" (roster_…)`;
  }
  const refusal = await whyTokenRefused(store, presented);
  switch (refusal.kind) {
    case "expired":
      return `the bearer token expired at ${refusal.at}; create a new one (POST /api/v1/tenants/<slug>/scim-tokens or roster tokens create) and enter it in the identity provider`;
    case "revoked":
      return "the bearer token was revoked; create a new one (roster tokens create) and enter it in the identity provider";
    case "ownerDeactivated":
      return "the bearer token belongs to a user of the application who is deactivated; it works again when that user is reactivated, or create a token without that owner";
    case "ownerDeleted":
      return "the bearer token belonged to a user of the application who was deleted; it no longer works: create a new token (roster tokens create)";
    case "ownerManaged":
      return "the bearer token belongs to a user now managed by the identity provider; a token's owner must be one of the application's own users: create a new token";
    case "unknown":
      return GENERIC_REFUSAL;
  }
}
