import { PassThrough } from "node:stream";
import type { FastifyReply } from "fastify";
import type { TextSink } from "../directory/group-text.js";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** The one place that writes a SCIM JSON body. */
export function sendScim(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** How long a streamed body waits for a client that takes nothing before giving it up. */
const STALLED_CLIENT_MS = 30_000;

/** The client went away (or stalled) while a streamed body was being written. */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/**
 * Starts a SCIM JSON body that is written in pieces (a large group): the status and headers
 * go out now, each `write` resolves once the client has taken what came before (so no more
 * than about one piece is held in memory), and `fail` cuts the response short.
 */
export function openScimText(reply: FastifyReply, status: number): TextSink & { fail(error: Error): void } {
  const body = new PassThrough();
  reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
  return {
    async write(chunk) {
      if (body.destroyed) throw new ClientGoneError("the client closed the connection");
      if (body.write(chunk)) return;
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          body.off("drain", done).off("close", done);
          if (error !== undefined) reject(error);
          else if (body.destroyed) reject(new ClientGoneError("the client closed the connection"));
          else resolve();
        };
        const timer = setTimeout(() => {
          const stalled = new ClientGoneError(`the client took nothing for ${STALLED_CLIENT_MS / 1000} s`);
          body.destroy(stalled);
          done(stalled);
        }, STALLED_CLIENT_MS);
        body.on("drain", done).on("close", done);
      });
    },
    end(chunk) {
      body.end(chunk);
    },
    fail(error) {
      body.destroy(error);
    },
  };
}
