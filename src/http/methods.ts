import type { FastifyInstance, FastifyRequest } from "fastify";

/** The order `Allow` lists methods in. */
const ALLOW_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * RFC 9110 §15.5.6: a known endpoint answers a method it does not serve with 405 and
 * `Allow`. Call at the start of a plugin; once its routes are registered, `answer` adds, for
 * each path they serve, one route taking every other method Fastify knows (OPTIONS, TRACE
 * and HEAD where there is no GET included). That route refuses in `onRequest`, before the
 * body is read: a malformed, mistyped or oversized body on a wrong method is still 405.
 * `refuse` authenticates first (a caller without credentials learns nothing) and returns
 * the error to throw.
 */
export function methodsNotServed(app: FastifyInstance): {
  answer(refuse: (request: FastifyRequest, allowed: readonly string[], path: string) => Promise<Error>): void;
} {
  const served = new Map<string, Set<string>>();
  let sealed = false;
  app.addHook("onRoute", (route) => {
    if (sealed) return;
    const path = route.routePath;
    const methods = served.get(path) ?? new Set<string>();
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) methods.add(method);
    served.set(path, methods);
  });
  return {
    answer(refuse) {
      sealed = true;
      for (const [path, methods] of served) {
        const others = app.supportedMethods.filter((method) => !methods.has(method) && !(method === "HEAD" && methods.has("GET")));
        if (others.length === 0) continue;
        const allowed = [...methods]
          .filter((method) => method !== "HEAD")
          .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
        app.route({
          method: others,
          url: path,
          // Never reached: onRequest always throws, before Fastify parses a body.
          handler: async () => undefined,
          onRequest: async (request, reply) => {
            const error = await refuse(request, allowed, path);
            reply.header("Allow", allowed.join(", "));
            throw error;
          },
        });
      }
    },
  };
}

function rank(method: string): number {
  const index = ALLOW_ORDER.indexOf(method);
  return index === -1 ? ALLOW_ORDER.length : index;
}
