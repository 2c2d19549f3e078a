import { createApiKey, listApiKeyViews, parseNewApiKey, revokeApiKey } from "../directory/api-keys.js";
import { AppError } from "../directory/app-errors.js";
import { listAuditLog } from "../directory/audit-log.js";
import {
  assertDeletionConfirmed,
  createTenantWithSettings,
  deleteTenantBySlug,
  listTenantViews,
  parseNewTenant,
  parseTenantChanges,
  TENANT_CREATE_FIELDS,
  TENANT_UPDATE_FIELDS,
  toTenantView,
  updateTenantSettings,
} from "../directory/tenant-admin.js";
import { getTenantBySlug } from "../directory/tenants.js";
import type { ApiAnswer, ApiRoute } from "./api-routes.js";

// The control plane (docs/management-api.md, "Tenants", "API keys", "Audit log"): routes
// outside one tenant, and the tenant's own resource. Spread into API_ROUTES.

const PAGING = ["limit", "cursor"] as const;
const json = (status: number) => (body: unknown): ApiAnswer => ({ status, body });
const noContent = (): ApiAnswer => ({ status: 204 });
const param = (params: Readonly<Record<string, string>>, name: string): string => params[name] ?? "";

export const TENANT_ADMIN_ROUTES: readonly ApiRoute[] = [
  {
    scope: "control",
    method: "GET",
    url: "/tenants",
    query: ["q", ...PAGING],
    body: "none",
    adminOnly: true,
    handle: (c, _p, r) => listTenantViews(c.store, r.query, c.origin).then(json(200)),
  },
  {
    scope: "control",
    method: "POST",
    url: "/tenants",
    query: [],
    body: TENANT_CREATE_FIELDS,
    adminOnly: true,
    handle: async (c, _p, r) => {
      const tenant = await createTenantWithSettings(c.store, parseNewTenant(r.body), c.actor);
      return { status: 201, body: toTenantView(tenant, c.origin), location: `/api/v1/tenants/${tenant.slug}` };
    },
  },
  { method: "GET", url: "/tenants/:tenant", query: [], body: "none", handle: async (c) => json(200)(toTenantView(c.tenant, c.origin)) },
  {
    method: "PATCH",
    url: "/tenants/:tenant",
    query: [],
    body: TENANT_UPDATE_FIELDS,
    handle: async (c, _p, r) => json(200)(toTenantView(await updateTenantSettings(c.store, c.tenant.slug, parseTenantChanges(r.body), c.actor), c.origin)),
  },
  {
    method: "DELETE",
    url: "/tenants/:tenant",
    query: ["confirm"],
    body: "none",
    adminOnly: true,
    handle: async (c, _p, r) => {
      assertDeletionConfirmed(c.tenant.slug, r.query);
      await deleteTenantBySlug(c.store, c.tenant.slug, c.actor);
      return noContent();
    },
  },
  { method: "GET", url: "/tenants/:tenant/audit", query: PAGING, body: "none", handle: (c, _p, r) => listAuditLog(c.store, r.query, c.tenant).then(json(200)) },
  { scope: "control", method: "GET", url: "/audit", query: PAGING, body: "none", adminOnly: true, handle: (c, _p, r) => listAuditLog(c.store, r.query).then(json(200)) },
  { scope: "control", method: "GET", url: "/api-keys", query: PAGING, body: "none", adminOnly: true, handle: (c, _p, r) => listApiKeyViews(c.store, r.query).then(json(200)) },
  {
    scope: "control",
    method: "POST",
    url: "/api-keys",
    query: [],
    body: ["name", "tenant"],
    adminOnly: true,
    handle: async (c, _p, r) => {
      const request = parseNewApiKey(r.body);
      const tenant = request.tenant === undefined ? undefined : await getTenantBySlug(c.store, request.tenant).catch(() => {
        throw new AppError("invalidRequest", `tenant: no tenant has the slug ${JSON.stringify(request.tenant)} (see GET /api/v1/tenants)`);
      });
      const issued = await createApiKey(c.store, tenant, request.name, new Date(), c.actor);
      const body = { id: issued.record.id, key: issued.key, name: issued.record.name, tenant: tenant?.slug ?? null, createdAt: issued.record.created };
      return { status: 201, body, location: `/api/v1/api-keys/${issued.record.id}` };
    },
  },
  {
    scope: "control",
    method: "DELETE",
    url: "/api-keys/:id",
    query: [],
    body: "none",
    adminOnly: true,
    handle: async (c, p) => {
      const id = param(p, "id");
      // An administrator key may revoke itself: this request completes, the next is 401 (ADR 0031).
      if (!(await revokeApiKey(c.store, id, new Date(), c.actor))) throw new AppError("notFound", `no active API key has id ${JSON.stringify(id)} (see GET /api/v1/api-keys)`);
      return noContent();
    },
  },
];
