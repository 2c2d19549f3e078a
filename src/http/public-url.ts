import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import type { FastifyRequest } from "fastify";

/** The origin (`https://scim.example.com`) a request's `Location`, `meta.location` and `$ref` start with. */
export type OriginOf = (request: FastifyRequest) => string;

const WILDCARDS = new Set(["0.0.0.0", "::"]);

/** `host:port` as a Host header says it (IPv6 in brackets), lower case. */
function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`.toLowerCase();
}

/** The Host values that name the address `server` listens on: its IP, and for loopback or wildcard binds localhost and the machine's addresses. */
function listeningHosts(address: AddressInfo): { readonly accepted: ReadonlySet<string>; readonly fallback: string } {
  const { port } = address;
  const names = new Set<string>([address.address]);
  const loopback = address.address === "127.0.0.1" || address.address === "::1";
  if (loopback || WILDCARDS.has(address.address)) names.add("localhost");
  if (WILDCARDS.has(address.address)) {
    for (const entries of Object.values(networkInterfaces())) for (const entry of entries ?? []) names.add(entry.address);
  }
  const accepted = new Set<string>();
  for (const name of names) {
    if (WILDCARDS.has(name)) continue;
    accepted.add(hostPort(name, port));
    // A Host without a port names port 80 of http (RFC 9110 §4.2.1).
    if (port === 80) accepted.add(name.includes(":") ? `[${name}]`.toLowerCase() : name.toLowerCase());
  }
  const fallback = `http://${WILDCARDS.has(address.address) ? hostPort("localhost", port) : hostPort(address.address, port)}`;
  return { accepted, fallback };
}

/**
 * Where the SCIM API's locations point. With a public URL (ROSTER_PUBLIC_URL), always there.
 * Without one, the request's Host is used only when it names the address the server listens
 * on (docs/decisions/0027-locations-never-echo-an-unknown-host.md); any other Host is
 * ignored and the listening address used instead, so a request cannot make Roster hand out
 * URLs on a host of its choosing. Before the server listens (`app.inject`), `http://localhost`.
 */
export function originResolver(publicUrl: string | undefined, server: Server): OriginOf {
  if (publicUrl !== undefined) return () => publicUrl;
  let listening: ReturnType<typeof listeningHosts> | undefined;
  return (request) => {
    if (listening === undefined) {
      const address = server.address();
      if (address === null || typeof address === "string") return "http://localhost";
      listening = listeningHosts(address);
    }
    const host = request.headers.host?.toLowerCase();
    return host !== undefined && listening.accepted.has(host) ? `http://${host}` : listening.fallback;
  };
}
