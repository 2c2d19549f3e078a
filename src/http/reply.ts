import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** The one place that writes a SCIM JSON body. */
export function sendScim(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** A SCIM JSON body already serialised in pieces (a large group), streamed without joining them. */
export function sendScimText(reply: FastifyReply, status: number, chunks: readonly string[]): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(chunks.length === 1 ? chunks[0] : Readable.from(chunks));
}
