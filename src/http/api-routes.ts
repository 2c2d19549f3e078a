import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { API_KEY_PREFIX, apiKeyAllows, authenticateApiKey } from "../directory/api-keys.js";
import { isKnownToken } from "../directory/tokens.js";
import { apiKeyActor, type AuditActor } from "../directory/audit.js";
import { AppError } from "../directory/app-errors.js";
import {
  GROUP_FIELDS,
  GROUP_QUERY,
  MEMBER_FIELDS,
  addAppGroupMember,
  createAppGroup,
  deleteAppGroup,
  getAppGroup,
  listAppGroupMembers,
  listAppGroups,
  removeAppGroupMember,
  updateAppGroup,
} from "../directory/app-groups.js";
import {
  type AppContext,
  createAppUser,
  deleteAppUser,
  getAppUser,
  listAppUsers,
  updateAppUser,
  USER_FIELDS,
  USER_QUERY,
} from "../directory/app-users.js";
import { getAppList, putAppList, ROLES_LIST } from "../directory/lists.js";
import { ProfileCache } from "../directory/tenant-profiles.js";
import { type DestinationPolicy, PUBLIC_DESTINATIONS_ONLY } from "../events/destinations.js";
import type { SecretKey } from "../events/secret-box.js";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveriesFromQuery,
  listWebhooks,
  REPLAY_FIELDS,
  replayWebhookFromBody,
  updateWebhook,
  WEBHOOK_CREATE_FIELDS,
  WEBHOOK_UPDATE_FIELDS,
} from "../events/webhooks.js";
import { listAppEvents } from "../events/feed.js";
import type { ApiKeyRecord, Store } from "../store/store.js";
import { OPENAPI_DOCUMENT } from "./api-openapi.js";
import { TOKEN_ROUTES } from "./api-routes-tokens.js";
import { handleApiError, JSON_CONTENT_TYPE } from "./api-errors.js";
import { REQUEST_LOG_ROUTES } from "./api-routes-requests.js";
import { bearerToken } from "./auth.js";
import { methodsNotServed } from "./methods.js";
import type { OriginOf } from "./public-url.js";
import { PROFILE_ROUTES } from "./api-routes-profiles.js";
import { addYamlBodyParser, YamlBody } from "./yaml-body.js";
import { TENANT_ADMIN_ROUTES } from "./api-routes-tenants.js";

export const API_PREFIX = "/api/v1";

export type Params = Readonly<Record<string, string>>;
export type ApiRequest = FastifyRequest<{ Params: Params; Querystring: Record<string, unknown> }>;

/** What every route's handler gets: the key presented, how the audit log names it, where SCIM base URLs point. */
export interface ControlContext {
  readonly store: Store;
  /** The API key the request presented (`tenantId` null for an administrator key), and how the audit log names it. */
  readonly apiKey: ApiKeyRecord;
  readonly actor: AuditActor;
  /** The public origin (`https://scim.example.com`) SCIM base URLs start with (src/http/public-url.ts). */
  readonly origin: string;
}

/** A tenant route's context: a use case's context, plus what the webhook routes need: the key that encrypts signing secrets. */
export interface ApiContext extends AppContext, ControlContext {
  readonly secretKey: SecretKey | undefined;
  readonly webhookDestinations: DestinationPolicy;
}

/** What a handler answers: a status and a JSON body (none for 204), and a Location for 201; a text body with its `contentType`. */
export interface ApiAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly location?: string;
  readonly contentType?: string;
}

interface RouteShape {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to API_PREFIX, Fastify syntax (`:id`). */
  readonly url: string;
  /** The query parameters it reads; any other is 400 invalidRequest naming it (checkRequestShape). */
  readonly query: readonly string[];
  /**
   * Its body: the fields of a JSON object (any other is 400 naming it), `names` (a JSON array of
   * names), or `none` (a body with anything in it is 400).
   */
  readonly body: readonly string[] | "names" | "none";
  /** It also takes its body as YAML text (Content-Type: application/yaml), as a YamlBody; any other route answers YAML 415. */
  readonly yaml?: true;
  /** Administrator keys only: a tenant key is 403 forbidden, on its own tenant too. */
  readonly adminOnly?: true;
}

/** A route under `/tenants/:tenant`: its handler gets the tenant, resolved for the key (404 / 403 as `authorize` says). */
export interface TenantApiRoute extends RouteShape {
  readonly scope?: "tenant";
  readonly handle: (context: ApiContext, params: Params, request: ApiRequest) => Promise<ApiAnswer>;
}

/** A route outside any one tenant (`/tenants`, `/api-keys`, `/audit`): its handler gets the key only. */
export interface ControlApiRoute extends RouteShape {
  readonly scope: "control";
  readonly handle: (context: ControlContext, params: Params, request: ApiRequest) => Promise<ApiAnswer>;
}

export type ApiRoute = TenantApiRoute | ControlApiRoute;

const T = "/tenants/:tenant";
const PAGING = ["limit", "cursor"] as const;
const NO_INPUT = { query: [], body: "none" } as const;
const json = (status: number) => (body: unknown): ApiAnswer => ({ status, body });
const noContent = (): ApiAnswer => ({ status: 204 });
const param = (params: Params, name: string): string => params[name] ?? "";

/** Every route of the management API; the OpenAPI document must describe exactly these (test/api/openapi.test.ts). */
export const API_ROUTES: readonly ApiRoute[] = [
  ...TENANT_ADMIN_ROUTES,
  {
    method: "GET",
    url: `${T}/users`,
    query: [...USER_QUERY, ...PAGING],
    body: "none",
    handle: (c, _p, r) => listAppUsers(c, r.query).then(json(200)),
  },
  {
    method: "POST",
    url: `${T}/users`,
    query: [],
    body: USER_FIELDS,
    handle: async (c, p, r) => {
      const user = await createAppUser(c, r.body);
      return { status: 201, body: user, location: `${API_PREFIX}/tenants/${param(p, "tenant")}/users/${user.id}` };
    },
  },
  { method: "GET", url: `${T}/users/:id`, ...NO_INPUT, handle: (c, p) => getAppUser(c, param(p, "id")).then(json(200)) },
  { method: "PATCH", url: `${T}/users/:id`, query: [], body: USER_FIELDS, handle: (c, p, r) => updateAppUser(c, param(p, "id"), r.body).then(json(200)) },
  {
    method: "DELETE",
    url: `${T}/users/:id`,
    ...NO_INPUT,
    // 204 as any delete, unless the user owned SCIM tokens: then 200 saying which stopped working.
    handle: async (c, p) => {
      const id = param(p, "id");
      const { tokensStopped } = await deleteAppUser(c, id);
      if (tokensStopped.length === 0) return noContent();
      const names = tokensStopped.map((token) => `${token.id} ("${token.name}")`).join(", ");
      const message = `deleted user ${id}; it owned ${tokensStopped.length === 1 ? "a SCIM token, which no longer works" : `${tokensStopped.length} SCIM tokens, which no longer work`}: ${names}`;
      return json(200)({ id, deleted: true, tokensStopped, message });
    },
  },
  {
    method: "GET",
    url: `${T}/groups`,
    query: [...GROUP_QUERY, ...PAGING],
    body: "none",
    handle: (c, _p, r) => listAppGroups(c, r.query).then(json(200)),
  },
  {
    method: "POST",
    url: `${T}/groups`,
    query: [],
    body: GROUP_FIELDS,
    handle: async (c, p, r) => {
      const group = await createAppGroup(c, r.body);
      return { status: 201, body: group, location: `${API_PREFIX}/tenants/${param(p, "tenant")}/groups/${group.id}` };
    },
  },
  { method: "GET", url: `${T}/groups/:id`, ...NO_INPUT, handle: (c, p) => getAppGroup(c, param(p, "id")).then(json(200)) },
  { method: "PATCH", url: `${T}/groups/:id`, query: [], body: GROUP_FIELDS, handle: (c, p, r) => updateAppGroup(c, param(p, "id"), r.body).then(json(200)) },
  { method: "DELETE", url: `${T}/groups/:id`, ...NO_INPUT, handle: (c, p) => deleteAppGroup(c, param(p, "id")).then(noContent) },
  {
    method: "GET",
    url: `${T}/groups/:id/members`,
    query: PAGING,
    body: "none",
    handle: (c, p, r) => listAppGroupMembers(c, param(p, "id"), r.query).then(json(200)),
  },
  {
    method: "POST",
    url: `${T}/groups/:id/members`,
    query: [],
    body: MEMBER_FIELDS,
    handle: (c, p, r) => addAppGroupMember(c, param(p, "id"), r.body).then(noContent),
  },
  {
    method: "DELETE",
    url: `${T}/groups/:id/members/:userId`,
    ...NO_INPUT,
    handle: (c, p) => removeAppGroupMember(c, param(p, "id"), param(p, "userId")).then(noContent),
  },
  { method: "GET", url: `${T}/roles`, ...NO_INPUT, handle: (c) => getAppList(c, ROLES_LIST).then(json(200)) },
  { method: "PUT", url: `${T}/roles`, query: [], body: "names", handle: (c, _p, r) => putAppList(c, c.actor, ROLES_LIST, r.body).then(json(200)) },
  { method: "GET", url: `${T}/lists/:name`, ...NO_INPUT, handle: (c, p) => getAppList(c, param(p, "name")).then(json(200)) },
  { method: "PUT", url: `${T}/lists/:name`, query: [], body: "names", handle: (c, p, r) => putAppList(c, c.actor, param(p, "name"), r.body).then(json(200)) },
  {
    method: "GET",
    url: `${T}/webhooks`,
    ...NO_INPUT,
    handle: (c) => listWebhooks(c.store, c.tenant).then((data) => ({ status: 200, body: { data } })),
  },
  {
    method: "POST",
    url: `${T}/webhooks`,
    query: [],
    body: WEBHOOK_CREATE_FIELDS,
    handle: async (c, p, r) => {
      const created = await createWebhook(c.store, c.tenant, c.actor, r.body, c.secretKey, c.webhookDestinations);
      return { status: 201, body: created, location: `${API_PREFIX}/tenants/${param(p, "tenant")}/webhooks/${created.id}` };
    },
  },
  { method: "GET", url: `${T}/webhooks/:id`, ...NO_INPUT, handle: (c, p) => getWebhook(c.store, c.tenant, param(p, "id")).then(json(200)) },
  {
    method: "PATCH",
    url: `${T}/webhooks/:id`,
    query: [],
    body: WEBHOOK_UPDATE_FIELDS,
    handle: (c, p, r) => updateWebhook(c.store, c.tenant, c.actor, param(p, "id"), r.body).then(json(200)),
  },
  { method: "DELETE", url: `${T}/webhooks/:id`, ...NO_INPUT, handle: (c, p) => deleteWebhook(c.store, c.tenant, c.actor, param(p, "id")).then(noContent) },
  {
    method: "GET",
    url: `${T}/webhooks/:id/deliveries`,
    query: ["status", ...PAGING],
    body: "none",
    handle: (c, p, r) => listWebhookDeliveriesFromQuery(c.store, c.tenant, param(p, "id"), r.query).then(json(200)),
  },
  {
    method: "POST",
    url: `${T}/webhooks/:id/replay`,
    query: [],
    body: REPLAY_FIELDS,
    handle: (c, p, r) => replayWebhookFromBody(c.store, c.tenant, c.actor, param(p, "id"), r.body).then(json(200)),
  },
  { method: "GET", url: `${T}/events`, query: ["after", "limit"], body: "none", handle: (c, _p, r) => listAppEvents(c, r.query).then(json(200)) },
  ...TOKEN_ROUTES,
  ...PROFILE_ROUTES,
  ...REQUEST_LOG_ROUTES,
];

/** How a route names itself in an error: `GET users/{id}`. */
function routeName(method: string, url: string): string {
  return `${method} ${url.replace(`${T}/`, "").replace(/:(\w+)/g, "{$1}")}`;
}

/**
 * The one check of what a request sends besides its path, before its handler runs: every query
 * parameter must be one the route reads, every field of an object body one it takes, and a route
 * without a body takes none. So a misspelt filter (`?emial=`) is refused instead of ignored.
 */
export function checkRequestShape(route: Pick<ApiRoute, "method" | "url" | "query" | "body" | "yaml">, query: unknown, body: unknown): void {
  const name = routeName(route.method, route.url);
  const given = typeof query === "object" && query !== null ? Object.keys(query) : [];
  const unknownParameter = given.find((key) => !route.query.includes(key));
  if (unknownParameter !== undefined) {
    const expected = route.query.length === 0 ? "it takes no query parameters" : `it takes ${route.query.join(", ")}`;
    throw new AppError("invalidRequest", `unknown query parameter ${JSON.stringify(unknownParameter)} for ${name}; ${expected}`);
  }
  if (body === undefined || body === null) return;
  if (body instanceof YamlBody) {
    if (route.yaml === true) return;
    throw new AppError("unsupportedMediaType", `${name} takes no YAML body; send it as application/json`);
  }
  if (route.body === "none") {
    const isEmptyObject = typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0;
    if (isEmptyObject) return;
    const field = typeof body === "object" && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
    const what = field === undefined ? "a body" : `unknown field ${JSON.stringify(field)}`;
    throw new AppError("invalidRequest", `${what} for ${name}; it takes no body`);
  }
  if (route.body === "names" || typeof body !== "object" || Array.isArray(body)) return;
  const allowed = route.body;
  const unknownField = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknownField !== undefined) {
    throw new AppError("invalidRequest", `unknown field ${JSON.stringify(unknownField)} in the body of ${name}; expected one of ${allowed.join(", ")}`);
  }
}

export interface ApiRouteOptions {
  readonly store: Store;
  /** The origin of SCIM base URLs handed out (the server's public URL, or the listening address; never an unknown Host). */
  readonly origin: OriginOf;
  /** Encrypts the signing secrets of webhooks created through the API; without it, creating one answers 501 notConfigured. */
  readonly secretKey?: SecretKey;
  /** Which webhook destinations besides public addresses are allowed (ROSTER_WEBHOOK_ALLOW_PRIVATE); public only when absent. */
  readonly webhookDestinations?: DestinationPolicy;
}

/** The API key a request presents; 401 without a valid one (saying so when a SCIM token was sent instead). */
async function authenticateKey(store: Store, request: FastifyRequest): Promise<ApiKeyRecord> {
  const presented = bearerToken(request.headers.authorization);
  if (presented === undefined) throw new AppError("unauthorized", "missing API key: send Authorization: Bearer <key> (see: roster api-keys create)");
  const key = await authenticateApiKey(store, presented);
  if (key !== undefined) return key;
  // A SCIM token sent here says so (its holder learns nothing new); anything else stays unexplained.
  if (!presented.startsWith(API_KEY_PREFIX) && (await isKnownToken(store, presented))) {
    throw new AppError("unauthorized", `this is a SCIM bearer token, not a management API key: the management API takes a key from "roster api-keys create" (${API_KEY_PREFIX}…)`);
  }
  throw new AppError("unauthorized", "the API key is not valid (unknown or revoked)");
}

/** 403 for a tenant key on a route that only an administrator key may call (creating or deleting tenants, API keys, the global audit log). */
function assertAdministrator(key: ApiKeyRecord, method: string, url: string): void {
  if (key.tenantId === null) return;
  throw new AppError("forbidden", `${routeName(method, url)} needs an administrator API key (roster api-keys create without --tenant); this key is for one tenant only`);
}

/** Resolves the tenant of `slug` for an authenticated key; 404 (administrator keys) when missing, 403 for a key of another tenant. */
async function resolveTenant(options: ApiRouteOptions, profiles: ProfileCache, control: ControlContext, slug: string): Promise<ApiContext> {
  const { store } = options;
  const key = control.apiKey;
  const tenant = await store.read((session) => session.findTenantBySlug(slug));
  // A tenant key learns nothing about other tenants, existing or not.
  if (tenant === undefined && key.tenantId === null) throw new AppError("notFound", `tenant "${slug}" does not exist`);
  if (tenant === undefined || !apiKeyAllows(key, tenant)) {
    throw new AppError("forbidden", `this API key is for another tenant; it cannot act on tenant "${slug}"`);
  }
  return {
    ...control,
    tenant,
    profile: (await profiles.resolve(tenant)).profile,
    secretKey: options.secretKey,
    webhookDestinations: options.webhookDestinations ?? PUBLIC_DESTINATIONS_ONLY,
  };
}

function send(reply: FastifyReply, answer: ApiAnswer): FastifyReply {
  if (answer.location !== undefined) reply.header("Location", answer.location);
  if (answer.status === 204) return reply.code(204).send();
  if (answer.contentType !== undefined) return reply.code(answer.status).type(answer.contentType).send(String(answer.body));
  return reply.code(answer.status).type(JSON_CONTENT_TYPE).send(JSON.stringify(answer.body));
}

/** The management API (docs/management-api.md): plain JSON for the application, authenticated by API keys. */
export async function apiRoutes(app: FastifyInstance, options: ApiRouteOptions): Promise<void> {
  const profiles = new ProfileCache(options.store);
  const notServed = methodsNotServed(app);
  addYamlBodyParser(app);
  app.setErrorHandler(handleApiError);
  app.setNotFoundHandler((request, reply) =>
    handleApiError(new AppError("notFound", `no endpoint ${request.method} ${request.url.split("?")[0] ?? ""}`), request, reply),
  );

  app.get("/openapi.json", async (request, reply) => {
    checkRequestShape({ method: "GET", url: "/openapi.json", ...NO_INPUT }, request.query, undefined);
    return reply.code(200).type(JSON_CONTENT_TYPE).send(JSON.stringify(OPENAPI_DOCUMENT));
  });

  const originOf: OriginOf = options.origin ?? (() => "http://localhost");
  const control = async (request: FastifyRequest): Promise<ControlContext> => {
    const apiKey = await authenticateKey(options.store, request);
    return { store: options.store, apiKey, actor: apiKeyActor(apiKey.id), origin: originOf(request) };
  };

  for (const route of API_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      // 401 (the key), then 403 (a tenant key on an administrator route), then the tenant (404 / 403), then the request's shape.
      handler: async (request: ApiRequest, reply) => {
        const presented = await control(request);
        if (route.adminOnly === true) assertAdministrator(presented.apiKey, route.method, route.url);
        if (route.scope === "control") {
          checkRequestShape(route, request.query, request.body);
          return send(reply, await route.handle(presented, request.params, request));
        }
        const context = await resolveTenant(options, profiles, presented, param(request.params, "tenant"));
        checkRequestShape(route, request.query, request.body);
        return send(reply, await route.handle(context, request.params, request));
      },
    });
  }

  // Every other method on each path above: 405 with Allow, after the API key and before the body.
  notServed.answer(async (request, allowed, path) => {
    const presented = await control(request);
    const tenant = (request.params as Params)["tenant"];
    if (tenant !== undefined) await resolveTenant(options, profiles, presented, tenant);
    const endpoint = `${API_PREFIX}${path.replace(/:(\w+)/g, "{$1}")}`;
    return new AppError("methodNotAllowed", `${request.method} is not supported on ${endpoint}; use ${allowed.join(", ")}`);
  });
}
