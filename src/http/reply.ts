import type { FastifyReply } from "fastify";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** The one place that writes a SCIM JSON body. */
export function sendScim(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}
