import { randomUUID } from "node:crypto";
import { type IncomingMessage, maxHeaderSize, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { ScimError, serializeScimError, type ScimErrorCode } from "../scim/errors.js";
import { APP_ERROR_STATUS, JSON_CONTENT_TYPE, toAppError } from "./api-errors.js";
import { SCIM_CONTENT_TYPE } from "./reply.js";

/**
 * Answers to requests that fail before Fastify routes them (docs/errors.md, "Answers before
 * routing"). Node answers these itself with empty bodies, and Fastify's default handler with
 * its own `{"error","message","statusCode"}`: here each gets its API's error body instead.
 */

/** Which API's error body a URL gets. */
export type ErrorShape = "scim" | "management";

const MANAGEMENT_URL = /^\/api\/v1(?:[/?#]|$)/;

/** The management API's shape under /api/v1; the SCIM shape everywhere else, and when the URL could not be read. */
export function errorShapeOf(url: string | undefined): ErrorShape {
  return url !== undefined && MANAGEMENT_URL.test(url) ? "management" : "scim";
}

/** Set on a request whose `Expect` Node would have refused with an empty 417 (anything but 100-continue). */
const UNMET_EXPECTATION = Symbol("roster.unmetExpectation");
type MaybeUnmet = IncomingMessage & { [UNMET_EXPECTATION]?: true };

/**
 * Lets every request through Fastify, so that the two refusals Node writes itself (with empty
 * bodies, outside both logs) are answered by requestHeaderError in the right shape: an
 * HTTP/1.1 request without Host (RFC 9112 §3.2) and an `Expect` other than 100-continue
 * (RFC 9110 §10.1.1). Call before listening.
 */
export function routeRefusedExpectations(server: Server): void {
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on("checkExpectation", (request: MaybeUnmet, response: ServerResponse) => {
    request[UNMET_EXPECTATION] = true;
    server.emit("request", request, response);
  });
}

/** The refusal of a request Node would have refused itself (see routeRefusedExpectations), else undefined. */
export function requestHeaderError(request: IncomingMessage): ScimError | undefined {
  if (request.headers.host === undefined && request.httpVersion === "1.1") {
    return new ScimError("invalidSyntax", "the request has no Host header, which every HTTP/1.1 request must carry (RFC 9112 §3.2)");
  }
  if ((request as MaybeUnmet)[UNMET_EXPECTATION] === true) {
    const expect = String(request.headers.expect).slice(0, 100);
    return new ScimError("expectationFailed", `Expect: ${JSON.stringify(expect)} cannot be met; the only expectation this server meets is 100-continue (RFC 9110 §10.1.1)`);
  }
  return undefined;
}

type ParseError = Error & { readonly code?: string; readonly reason?: string; readonly rawPacket?: unknown };
/** Node's server socket: `_httpMessage` is the answer in progress, once a request's headers have been read. */
type ServerSocket = Socket & { readonly _httpMessage?: ServerResponse | null };

/** What a client error is answered with; undefined for a connection error, where there is no one to answer. */
function clientErrorAnswer(error: ParseError, server: Server, headersReceived: boolean): { code: ScimErrorCode; detail: string } | undefined {
  const code = error.code ?? "";
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return headersReceived
      ? { code: "requestTimeout", detail: `the request was not received within ${server.requestTimeout} ms (ROSTER_REQUEST_TIMEOUT_MS); its body came too slowly` }
      : { code: "requestTimeout", detail: `the request headers were not received within ${server.headersTimeout} ms (ROSTER_HEADERS_TIMEOUT_MS)` };
  }
  if (code === "HPE_HEADER_OVERFLOW") {
    return { code: "headersTooLarge", detail: `the request line and headers are larger than ${(server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize} bytes, the most this server reads` };
  }
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") {
    return { code: "payloadTooLarge", detail: "the chunk extensions of the request body are too large" };
  }
  if (code.startsWith("HPE_")) {
    const reason = typeof error.reason === "string" && error.reason !== "" ? error.reason : code;
    return { code: "invalidSyntax", detail: `the request is not valid HTTP/1.1: ${reason}` };
  }
  return undefined;
}

/**
 * The method and request target of a request line at the start of `packet` (the bytes Node's
 * parser was reading when it failed), if it holds one: a request line sent in an earlier packet,
 * or headers that never finished, leave them unknown.
 */
function requestLine(packet: unknown): { method: string; url: string } | undefined {
  if (!Buffer.isBuffer(packet)) return undefined;
  const match = /^([!-~]+) (\/\S*)/.exec(packet.subarray(0, 2048).toString("latin1"));
  return match === null ? undefined : { method: match[1] ?? "", url: match[2] ?? "" };
}

/** The status line, headers and body of an error answer in `shape`, closing the connection. */
function rawAnswer(shape: ErrorShape, error: ScimError, requestId: string, method: string | undefined): string {
  let status: number;
  let contentType: string;
  let body: string;
  if (shape === "scim") {
    status = error.status;
    contentType = SCIM_CONTENT_TYPE;
    body = JSON.stringify(serializeScimError(error));
  } else {
    const appError = toAppError(error);
    status = APP_ERROR_STATUS[appError.code];
    contentType = JSON_CONTENT_TYPE;
    body = JSON.stringify({ error: { code: appError.code, message: appError.message } });
  }
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
    `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${method === "HEAD" ? "" : body}`
  );
}

/**
 * Fastify's `clientErrorHandler` for `app`: a request Node's parser refused (431, a malformed request
 * line or header, a bad Content-Length) or one not received within a timeout (408).
 *
 * A body that comes too slowly is answered by the route's own error handler, so the 408 has a
 * request id, both logs and the route's shape: the timeout is raised as an error of the
 * request stream, which Fastify is reading. Anything else is written to the socket here, in
 * the shape of the URL if it could be read (else the SCIM shape), and the connection closed.
 */
export function answerClientError(app: FastifyInstance, error: ParseError, plainSocket: Socket): void {
  const socket = plainSocket as ServerSocket;
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const inFlight = socket._httpMessage ?? undefined;
  // Part of an answer went out: nothing more can be said on this connection.
  if (inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const answer = clientErrorAnswer(error, app.server, inFlight !== undefined);
  if (answer === undefined) {
    socket.destroy();
    return;
  }
  const scimError = new ScimError(answer.code, answer.detail);
  if (inFlight !== undefined && answer.code === "requestTimeout" && inFlight.req.listenerCount("error") > 0) {
    inFlight.setHeader("Connection", "close");
    inFlight.req.emit("error", scimError);
    return;
  }
  const line = inFlight === undefined ? requestLine(error.rawPacket) : { method: inFlight.req.method, url: inFlight.req.url };
  const url = line?.url;
  const requestId = randomUUID();
  // The path only: a query string may carry a secret (`?access_token=`).
  app.log.info({ reqId: requestId, path: url?.split("?")[0], statusCode: scimError.status, code: error.code }, "request refused before routing");
  if (socket.writable) socket.end(rawAnswer(errorShapeOf(url), scimError, requestId, line?.method));
  socket.destroySoon();
}
