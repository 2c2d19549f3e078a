import { createAppToken, getAppToken, listAppTokens, revokeAppToken, TOKEN_CREATE_FIELDS, TOKEN_QUERY } from "../directory/app-tokens.js";
import type { ApiRoute, Params } from "./api-routes.js";

// API_PREFIX and T of api-routes.ts, repeated rather than imported: that module spreads this
// one's routes into API_ROUTES, and a value imported back would be a cycle.
const API_PREFIX = "/api/v1";
const T = "/tenants/:tenant";
const param = (params: Params, name: string): string => params[name] ?? "";

/** SCIM tokens of a tenant (docs/management-api.md#scim-tokens), spread into API_ROUTES. */
export const TOKEN_ROUTES: readonly ApiRoute[] = [
  {
    method: "GET",
    url: `${T}/scim-tokens`,
    query: [...TOKEN_QUERY, "limit", "cursor"],
    body: "none",
    handle: async (c, _p, r) => ({ status: 200, body: await listAppTokens(c.store, c.tenant, r.query) }),
  },
  {
    method: "POST",
    url: `${T}/scim-tokens`,
    query: [],
    body: TOKEN_CREATE_FIELDS,
    handle: async (c, p, r) => {
      const created = await createAppToken(c.store, c.tenant, c.actor, `${c.origin}/scim/v2/${c.tenant.slug}`, r.body);
      return { status: 201, body: created, location: `${API_PREFIX}/tenants/${param(p, "tenant")}/scim-tokens/${created.id}` };
    },
  },
  {
    method: "GET",
    url: `${T}/scim-tokens/:id`,
    query: [],
    body: "none",
    handle: async (c, p) => ({ status: 200, body: await getAppToken(c.store, c.tenant, param(p, "id")) }),
  },
  {
    method: "DELETE",
    url: `${T}/scim-tokens/:id`,
    query: [],
    body: "none",
    handle: async (c, p) => {
      await revokeAppToken(c.store, c.tenant, c.actor, param(p, "id"));
      return { status: 204 };
    },
  },
];
