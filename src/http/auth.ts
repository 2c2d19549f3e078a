import type { FastifyRequest } from "fastify";
import { authenticateToken } from "../directory/tokens.js";
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
  if (found === undefined || found.tenant.slug !== slug) {
    throw new ScimError("unauthorized", "the bearer token is not valid for this SCIM base URL (unknown, revoked, or issued for another tenant)");
  }
  return found.tenant;
}
