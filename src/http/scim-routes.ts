import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { executeBulk } from "../directory/bulk.js";
import {
  createResource,
  deleteResource,
  findVersion,
  getResource,
  patchResource,
  replaceResource,
  type ScimContext,
  type ServedResource,
} from "../directory/resources.js";
import { writeGroupText } from "../directory/group-text.js";
import { assertScimEnabled, assertUserSyncEnabled } from "../directory/profile-sync.js";
import { ProfileCache } from "../directory/tenant-profiles.js";
import { listResources, parseListParams, resolveProjection, searchAll } from "../directory/search.js";
import { formatETag, matchesIfNoneMatch } from "../directory/versions.js";
import { withEventIds } from "../events/record-events.js";
import { ScimError } from "../scim/errors.js";
import type { ResourceKind, Store } from "../store/store.js";
import { authenticate } from "./auth.js";
import type { ScimLimits } from "./config.js";
import { resourceTypesResponse, schemasResponse, serviceProviderConfigResponse } from "./discovery.js";
import { methodsNotServed } from "./methods.js";
import type { OriginOf } from "./public-url.js";
import { ClientGoneError, openScimText, sendScim } from "./reply.js";
import type { TenantLimiter } from "./tenant-limiter.js";

export interface ScimRouteOptions {
  readonly store: Store;
  readonly limits: ScimLimits;
  /** The origin (`https://roster.example.com`) of a request's locations (src/http/public-url.ts). */
  readonly origin: OriginOf;
  /** Per-tenant slots for reads (GET, `/.search`): one tenant's reads cannot take the whole pool. */
  readonly limiter: TenantLimiter;
}

type Params = { tenant: string; id?: string };
type ScimRequest = FastifyRequest<{ Params: Params; Querystring: Record<string, unknown> }>;

/**
 * Where the auth hook leaves a request's SCIM context: a property every request has from
 * its creation (`decorateRequest` in buildApp), rather than a WeakMap entry per request,
 * which cost a write barrier and the collector's ephemeron work on each.
 */
export const SCIM_CONTEXT = "scimContext";
type WithContext = { [SCIM_CONTEXT]: ScimContext | null };

/** The authenticated SCIM context of a request (set by the auth hook). */
export function scimContextOf(request: FastifyRequest): ScimContext | undefined {
  return (request as unknown as Partial<WithContext>)[SCIM_CONTEXT] ?? undefined;
}

function context(request: FastifyRequest): ScimContext {
  const found = scimContextOf(request);
  if (found === undefined) throw new ScimError("unauthorized", "missing bearer token: send Authorization: Bearer <token>");
  return found;
}

function sendResource(reply: FastifyReply, status: number, served: ServedResource): FastifyReply {
  reply.header("ETag", formatETag(served.version));
  if (status === 201) reply.header("Location", served.location);
  return sendScim(reply, status, served.body);
}

function requireId(request: { readonly params: Params }): string {
  const id = request.params.id;
  if (id === undefined || id.length === 0) throw new ScimError("notFound", "no resource id in the path");
  return id;
}

export async function scimRoutes(app: FastifyInstance, options: ScimRouteOptions): Promise<void> {
  const { store, limits, limiter } = options;
  const profiles = new ProfileCache(store);
  /** Runs a read in one of its tenant's slots (tenant-limiter.ts): 429 when the tenant already has too many. */
  const inSlot = <T>(request: FastifyRequest, read: (scim: ScimContext) => Promise<T>): Promise<T> => {
    const scim = context(request);
    return limiter.run(scim.tenant.id, () => read(scim));
  };

  const notServed = methodsNotServed(app);

  /** Authenticates the request and leaves its SCIM context on it; 401 without a token valid for the URL's tenant. */
  async function attachContext(request: FastifyRequest): Promise<ScimContext> {
    const tenant = await authenticate(store, request, (request.params as Params).tenant);
    const { profile, schemas, visibility } = await profiles.resolve(tenant);
    const eventIds: string[] = [];
    const scim: ScimContext = {
      store: withEventIds(store, eventIds),
      tenant,
      baseUrl: `${options.origin(request)}/scim/v2/${tenant.slug}`,
      schemas,
      visibility,
      profile,
      notes: [],
      eventIds,
    };
    (request as unknown as WithContext)[SCIM_CONTEXT] = scim;
    return scim;
  }

  app.addHook("preHandler", async (request: FastifyRequest<{ Params: Params }>) => {
    const scim = await attachContext(request);
    assertScimEnabled(scim.tenant);
    assertUserSyncEnabled(scim.profile);
  });

  app.get("/ServiceProviderConfig", async (request, reply) =>
    sendScim(reply, 200, serviceProviderConfigResponse(context(request), limits)),
  );
  app.get("/Schemas", async (request, reply) => sendScim(reply, 200, schemasResponse(context(request))));
  app.get<{ Params: Params }>("/Schemas/:id", async (request, reply) =>
    sendScim(reply, 200, schemasResponse(context(request), requireId(request))),
  );
  app.get("/ResourceTypes", async (request, reply) => sendScim(reply, 200, resourceTypesResponse(context(request))));
  app.get<{ Params: Params }>("/ResourceTypes/:id", async (request, reply) =>
    sendScim(reply, 200, resourceTypesResponse(context(request), requireId(request))),
  );

  for (const [kind, endpoint] of [
    ["User", "/Users"],
    ["Group", "/Groups"],
  ] as const satisfies readonly (readonly [ResourceKind, string])[]) {
    app.get(endpoint, async (request: ScimRequest, reply) =>
      sendScim(reply, 200, await inSlot(request, (scim) => listResources(scim, kind, parseListParams(request.query), limits))),
    );
    app.post(`${endpoint}/.search`, async (request: ScimRequest, reply) =>
      sendScim(reply, 200, await inSlot(request, (scim) => listResources(scim, kind, parseListParams(searchBody(request.body)), limits))),
    );
    app.post(endpoint, async (request: ScimRequest, reply) => {
      const scim = context(request);
      const projection = resolveProjection(scim, kind, parseListParams(request.query));
      return sendResource(reply, 201, await createResource(scim, kind, request.body, projection));
    });
    app.get(`${endpoint}/:id`, async (request: ScimRequest, reply) => inSlot(request, async (scim) => {
      const id = requireId(request);
      const projection = resolveProjection(scim, kind, parseListParams(request.query));
      const ifNoneMatch = request.headers["if-none-match"];
      if (ifNoneMatch !== undefined) {
        const version = await findVersion(scim, kind, id);
        if (version !== undefined && matchesIfNoneMatch(ifNoneMatch, version)) {
          return reply.code(304).header("ETag", formatETag(version)).send();
        }
      }
      if (kind === "Group" && projection.attributes === undefined && projection.excludedAttributes === undefined) {
        let sink: ReturnType<typeof openScimText> | undefined;
        try {
          await writeGroupText(scim, id, (head) => (sink = openScimText(reply.header("ETag", formatETag(head.version)), 200)));
        } catch (error) {
          // Before the headers went out, the error is answered as any other; after, all that
          // can be done is to cut the body short (the client sees an incomplete response).
          if (sink === undefined) throw error;
          sink.fail(error instanceof Error ? error : new Error(String(error)));
          if (!(error instanceof ClientGoneError)) request.log.error({ err: error }, "group body cut short");
        }
        return reply;
      }
      return sendResource(reply, 200, await getResource(scim, kind, id, projection));
    }));
    app.put(`${endpoint}/:id`, async (request: ScimRequest, reply) => {
      const scim = context(request);
      const projection = resolveProjection(scim, kind, parseListParams(request.query));
      const served = await replaceResource(scim, kind, requireId(request), request.body, request.headers["if-match"], projection);
      return sendResource(reply, 200, served);
    });
    app.patch(`${endpoint}/:id`, async (request: ScimRequest, reply) => {
      const scim = context(request);
      const params = parseListParams(request.query);
      const projection = resolveProjection(scim, kind, params);
      // Groups answer 204 unless a projection is asked for, so adding one member never serialises the whole group.
      const respondWithBody = kind === "User" || params.attributes !== undefined || params.excludedAttributes !== undefined;
      const result = await patchResource(scim, kind, requireId(request), request.body, request.headers["if-match"], projection, respondWithBody);
      if ("body" in result) return sendResource(reply, 200, result);
      return reply.code(204).header("ETag", formatETag(result.version)).send();
    });
    app.delete(`${endpoint}/:id`, async (request: ScimRequest, reply) => {
      await deleteResource(context(request), kind, requireId(request), request.headers["if-match"]);
      return reply.code(204).send();
    });
  }

  app.post("/.search", async (request: ScimRequest, reply) =>
    sendScim(reply, 200, await inSlot(request, (scim) => searchAll(scim, parseListParams(searchBody(request.body)), limits))),
  );

  app.post("/Bulk", { bodyLimit: limits.bulkMaxPayloadBytes }, async (request: ScimRequest, reply) =>
    sendScim(
      reply,
      200,
      await executeBulk(context(request), request.body, limits, (error, index) => request.log.error({ err: error }, `bulk operation ${index} failed`)),
    ),
  );

  app.all("/Me", async () => {
    throw new ScimError("notImplemented", "/Me is not available: Roster authenticates identity providers, not end users");
  });

  // Every other method on each path above: 405 with Allow, after the token and before the body.
  notServed.answer(async (request, allowed, path) => {
    await attachContext(request);
    return new ScimError("methodNotAllowed", `${request.method} is not supported on ${path.replace(":id", "{id}")}; use ${allowed.join(", ")}`);
  });
}

/** RFC 7644 §3.4.3: a SearchRequest body; its `schemas` must name the SearchRequest message if present. */
function searchBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new ScimError("invalidSyntax", "a search request body must be a JSON object (urn:ietf:params:scim:api:messages:2.0:SearchRequest)");
  }
  const { schemas, ...rest } = body as Record<string, unknown>;
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.includes("urn:ietf:params:scim:api:messages:2.0:SearchRequest"))) {
    throw new ScimError("invalidSyntax", 'schemas must be ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]');
  }
  return rest;
}
