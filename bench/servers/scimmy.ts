import { randomUUID } from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import { MEMBER_GROUP_INDEX, TENANT_KEYS, type TenantKey, groupBody, groupId, oktaUser, userId, userName } from "../sizes.js";
import { announce, type ServerStart, type TenantEndpoint } from "./protocol.js";

// SCIMMY + scimmy-routers as their READMEs set them up: Express, resource types declared
// with ingress/egress/degress handlers over an in-memory store, filters by `filter.match`.
// Only the small tenant is seeded (everything lives in this process's memory).

const SEEDED: readonly TenantKey[] = ["small"];
const TOKEN = "scimmy-token";
const NOW = "2026-01-01T00:00:00.000Z";
// SCIMMY's typings want a string; its docs pass null for "no scimType".
const NO_SCIM_TYPE = null as unknown as string;

type Record_ = Record<string, unknown> & { id: string };
interface Tenant {
  users: Map<string, Record_>;
  userNames: Map<string, string>;
  groups: Map<string, Record_>;
}

function meta(resourceType: string): Record<string, unknown> {
  return { resourceType, created: NOW, lastModified: new Date().toISOString() };
}

export async function startScimmy(start: ServerStart): Promise<void> {
  const tenants = new Map<string, Tenant>();
  for (const key of SEEDED) {
    const tenant: Tenant = { users: new Map(), userNames: new Map(), groups: new Map() };
    for (let i = 0; i < start.sizes.smallUsers; i++) {
      const id = userId(key, i);
      tenant.users.set(id, { ...oktaUser(userName(key, i), i), id, meta: meta("User") });
      tenant.userNames.set(userName(key, i).toLowerCase(), id);
    }
    for (let i = 0; i < start.sizes.smallUsers; i++) {
      const id = groupId(key, i);
      const members = i === MEMBER_GROUP_INDEX ? Array.from({ length: start.sizes.smallGroupMembers }, (_, m) => ({ value: userId(key, m), display: userName(key, m) })) : [];
      tenant.groups.set(id, { ...groupBody(key, i), id, members, meta: meta("Group") });
    }
    tenants.set(key, tenant);
  }
  const tenantOf = (ctx: unknown): Tenant => {
    const found = tenants.get(String(ctx));
    if (found === undefined) throw new SCIMMY.Types.Error(404, NO_SCIM_TYPE, `no tenant ${String(ctx)}`);
    return found;
  };
  type Egress = { id?: string; filter?: { match(values: unknown[]): unknown[] }; constraints?: { startIndex?: number; count?: number } };
  // Paging as SCIMMY's docs show: the handler slices by `constraints` and says how many there were in all.
  const page = (resource: Egress, all: unknown[]): unknown[] => {
    const matched = resource.filter !== undefined ? resource.filter.match(all) : all;
    const start = Math.max(1, Number(resource.constraints?.startIndex ?? 1)) - 1;
    const count = Number(resource.constraints?.count ?? matched.length);
    return Object.assign(matched.slice(start, start + count), { totalResults: matched.length });
  };

  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress(((resource: Egress, instance: Record<string, unknown>, ctx: unknown) => {
      const tenant = tenantOf(ctx);
      const name = String(instance["userName"]).toLowerCase();
      const holder = tenant.userNames.get(name);
      if (holder !== undefined && holder !== resource.id) throw new SCIMMY.Types.Error(409, "uniqueness", "userName is taken");
      if (resource.id !== undefined) {
        const target = tenant.users.get(resource.id);
        if (target === undefined) throw new SCIMMY.Types.Error(404, NO_SCIM_TYPE, `User ${resource.id} not found`);
        tenant.userNames.delete(String(target["userName"]).toLowerCase());
        const updated = { ...instance, id: resource.id, meta: meta("User") };
        tenant.users.set(resource.id, updated);
        tenant.userNames.set(name, resource.id);
        return updated;
      }
      const created = { ...instance, id: randomUUID(), meta: meta("User") };
      tenant.users.set(created.id, created);
      tenant.userNames.set(name, created.id);
      return created;
    }) as never)
    .egress(((resource: Egress, ctx: unknown) => {
      const tenant = tenantOf(ctx);
      if (resource.id !== undefined) {
        const found = tenant.users.get(resource.id);
        if (found === undefined) throw new SCIMMY.Types.Error(404, NO_SCIM_TYPE, `User ${resource.id} not found`);
        return found;
      }
      const all = [...tenant.users.values()];
      return page(resource, all);
    }) as never)
    .degress((resource: Egress, ctx: unknown) => {
      tenantOf(ctx).users.delete(resource.id ?? "");
    });

  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress(((resource: Egress, instance: Record<string, unknown>, ctx: unknown) => {
      const tenant = tenantOf(ctx);
      const id = resource.id ?? randomUUID();
      const saved = { ...instance, id, meta: meta("Group") };
      tenant.groups.set(id, saved);
      return saved;
    }) as never)
    .egress(((resource: Egress, ctx: unknown) => {
      const tenant = tenantOf(ctx);
      if (resource.id !== undefined) {
        const found = tenant.groups.get(resource.id);
        if (found === undefined) throw new SCIMMY.Types.Error(404, NO_SCIM_TYPE, `Group ${resource.id} not found`);
        return found;
      }
      const all = [...tenant.groups.values()];
      return page(resource, all);
    }) as never)
    .degress((resource: Egress, ctx: unknown) => {
      tenantOf(ctx).groups.delete(resource.id ?? "");
    });

  const app = express();
  for (const key of SEEDED) {
    app.use(
      `/scim/v2/${key}`,
      new SCIMMYRouters({
        type: "bearer",
        docUri: "https://example.com/help/oauth.html",
        handler: (request: express.Request) => {
          if (request.header("Authorization") !== `Bearer ${TOKEN}`) throw new Error("Authorization not detected!");
          return "bench";
        },
        context: () => key,
      }),
    );
  }
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  const endpoints: Partial<Record<TenantKey, TenantEndpoint>> = {};
  for (const key of TENANT_KEYS) if (SEEDED.includes(key)) endpoints[key] = { base: `${url}/scim/v2/${key}`, token: TOKEN };
  announce({ url, tenants: endpoints });
}
