// A receiver of Roster's webhooks that verifies every delivery (docs/webhooks.md).
//
//   npm install standardwebhooks
//   WEBHOOK_SECRET=whsec_… PORT=3000 npx tsx webhook-receiver.ts
//
// WEBHOOK_SECRET is the secret `roster webhooks create` printed. Roster delivers at least
// once: the same event can arrive twice, always with the same webhook-id.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

interface RosterEvent {
  readonly id: string;
  readonly type: string;
  readonly tenant: string;
  readonly occurredAt: string;
  readonly resource: { readonly type: "User" | "Group"; readonly id: string };
  readonly data: Record<string, unknown>;
}

const secret = process.env["WEBHOOK_SECRET"];
if (secret === undefined || !secret.startsWith("whsec_")) {
  console.error("set WEBHOOK_SECRET to the whsec_… secret that `roster webhooks create` printed");
  process.exit(2);
}
const verifier = new Webhook(secret);

// Ids of the events already applied. Keep them where your application keeps its data, and
// record an id in the same transaction as the change the event causes.
const applied = new Set<string>();

function apply(event: RosterEvent): void {
  switch (event.type) {
    case "user.created":
    case "user.updated":
    case "user.reactivated":
      console.log(`upsert user ${event.resource.id} (${event.type}, event ${event.id})`);
      break;
    case "user.deactivated":
    case "user.deleted":
      console.log(`block user ${event.resource.id} (${event.type}, event ${event.id})`);
      break;
    default:
      console.log(`${event.type} ${event.resource.type} ${event.resource.id} (event ${event.id})`);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "POST") {
    response.writeHead(405, { allow: "POST" }).end();
    return;
  }
  // Verify the exact bytes received, before parsing them.
  const body = await readBody(request);
  let event: RosterEvent;
  try {
    event = verifier.verify(body, request.headers as Record<string, string>) as RosterEvent;
  } catch (error) {
    const reason = error instanceof WebhookVerificationError ? error.message : "malformed body";
    console.log(`rejected a delivery: ${reason}`);
    response.writeHead(401, { "content-type": "text/plain" }).end(`signature rejected: ${reason}`);
    return;
  }
  const id = String(request.headers["webhook-id"]);
  if (applied.has(id)) {
    console.log(`duplicate ${id}: already applied`);
  } else {
    apply(event);
    applied.add(id);
  }
  // Any 2xx tells Roster the event arrived; anything else (or no answer within the timeout) is retried.
  response.writeHead(204).end();
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    console.error(error);
    response.writeHead(500).end();
  });
});
server.listen(Number(process.env["PORT"] ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
