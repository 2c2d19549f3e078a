import { isIP } from "node:net";

// Where webhooks may be delivered (docs/webhooks.md#private-destinations, ADR 0025). A tenant's
// API key chooses a webhook's URL, and the first characters of the answer come back in
// `GET deliveries`: without these checks a tenant could probe the operator's network. No I/O
// here: the dispatcher resolves names and asks checkDestinationAddress about each address.

/** Why an address is not a public destination; `public` ones are always allowed. */
export type AddressKind = "public" | "loopback" | "private" | "link-local" | "unique-local" | "shared" | "metadata" | "multicast" | "unspecified" | "reserved";

/** The kinds `ROSTER_WEBHOOK_ALLOW_PRIVATE=true` admits; the others only a listed range admits. */
const PRIVATE_KINDS: ReadonlySet<AddressKind> = new Set(["loopback", "private", "link-local", "unique-local", "shared"]);

const KIND_TEXT: Readonly<Record<Exclude<AddressKind, "public">, string>> = {
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  "unique-local": "a unique-local address",
  shared: "a carrier-grade NAT address (RFC 6598)",
  metadata: "a cloud metadata endpoint",
  multicast: "a multicast address",
  unspecified: "an unspecified address (it reaches this machine)",
  reserved: "a reserved address, not reachable on the internet",
};

export const ALLOW_PRIVATE_VARIABLE = "ROSTER_WEBHOOK_ALLOW_PRIVATE";

/** An IP range; `bits` is the address as an integer (32 bits for IPv4, 128 for IPv6). */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
  /** As the operator or the table wrote it, e.g. `10.0.0.0/8`. */
  readonly text: string;
}

/** What the operator allows besides public addresses (ROSTER_WEBHOOK_ALLOW_PRIVATE). */
export interface DestinationPolicy {
  /** `true`: every loopback, private, link-local, unique-local and shared address (not metadata, multicast, unspecified or reserved ones). */
  readonly allowPrivate: boolean;
  /** Ranges admitted whatever their kind. */
  readonly allowRanges: readonly AddressRange[];
}

/** The default: public addresses only. */
export const PUBLIC_DESTINATIONS_ONLY: DestinationPolicy = { allowPrivate: false, allowRanges: [] };

/** The end of every refusal: how an operator allows such a destination, and where the docs explain it. */
export const DESTINATION_ADVICE = `webhooks reach only public addresses unless the operator allows more with ${ALLOW_PRIVATE_VARIABLE} (true, or ranges such as 10.0.0.0/8,fd00::/8; see docs/webhooks.md#private-destinations)`;

type Row = readonly [range: string, kind: Exclude<AddressKind, "public">] | readonly [range: string, kind: "embedded", at: number];

// First match wins: exact addresses before the ranges that hold them. Sources: the IANA IPv4
// and IPv6 Special-Purpose Address Registries (RFC 6890), https://www.iana.org/assignments/iana-ipv4-special-registry
// and https://www.iana.org/assignments/iana-ipv6-special-registry, and the cloud providers'
// instance metadata addresses.
const TABLE: readonly Row[] = [
  ["169.254.169.254/32", "metadata"], // AWS, Azure, Google Cloud, OpenStack, DigitalOcean
  ["169.254.170.2/32", "metadata"], // AWS ECS task metadata
  ["100.100.100.200/32", "metadata"], // Alibaba Cloud
  ["192.0.0.192/32", "metadata"], // Oracle Cloud
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "reserved"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "reserved"],
  ["203.0.113.0/24", "reserved"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fd00:ec2::254/128", "metadata"], // AWS over IPv6
  // IPv6 forms that carry an IPv4 address: judged by that address (the bit offset of its 32 bits).
  ["::ffff:0:0/96", "embedded", 96], // IPv4-mapped
  ["64:ff9b::/96", "embedded", 96], // NAT64
  ["2002::/16", "embedded", 16], // 6to4
  ["::/96", "reserved"], // IPv4-compatible (deprecated)
  ["64:ff9b:1::/48", "reserved"],
  ["100::/64", "reserved"],
  ["2001::/23", "reserved"],
  ["2001:db8::/32", "reserved"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"], // site-local (deprecated)
  ["ff00::/8", "multicast"],
];

const RANGES = TABLE.map((row) => ({ range: mustParseRange(row[0]), kind: row[1], at: row[2] ?? 0 }));
const GLOBAL_UNICAST = mustParseRange("2000::/3");

/** Names that always reach this machine (RFC 6761 §6.3) or a cloud metadata service, whatever DNS says. */
const LOOPBACK_NAME = /(^|\.)localhost$/;
const METADATA_NAMES: ReadonlySet<string> = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
]);

export interface AddressClass {
  readonly kind: AddressKind;
  /** The table's range that decided, e.g. `127.0.0.0/8`; absent for public addresses. */
  readonly range?: string;
  /** For an IPv6 form of an IPv4 address (`::ffff:7f00:1`), that IPv4 address. */
  readonly embedded?: string;
}

/** The kind of an IP address (IPv4 dotted or IPv6 text, no brackets); undefined when `address` is not one. */
export function classifyAddress(address: string): AddressClass | undefined {
  const parsed = parseAddress(address);
  return parsed === undefined ? undefined : classifyParsed(parsed.family, parsed.bits);
}

function classifyParsed(family: 4 | 6, bits: bigint): AddressClass {
  for (const { range, kind, at } of RANGES) {
    if (!inRange(range, family, bits)) continue;
    if (kind !== "embedded") return { kind, range: range.text };
    const v4 = (bits >> BigInt(128 - at - 32)) & 0xffff_ffffn;
    const inner = classifyParsed(4, v4);
    return { ...inner, embedded: formatIpv4(v4) };
  }
  if (family === 6 && !inRange(GLOBAL_UNICAST, 6, bits)) return { kind: "reserved", range: "outside 2000::/3" };
  return { kind: "public" };
}

/**
 * Why the policy refuses delivery to `address` (a sentence fragment naming it, its kind and
 * range), or undefined when it is allowed. An address that is not an IP address is refused.
 */
export function checkDestinationAddress(policy: DestinationPolicy, address: string): string | undefined {
  const parsed = parseAddress(address);
  if (parsed === undefined) return `${JSON.stringify(address)} is not an IP address`;
  const found = classifyParsed(parsed.family, parsed.bits);
  if (found.kind === "public") return undefined;
  if (policy.allowPrivate && PRIVATE_KINDS.has(found.kind)) return undefined;
  const embedded = found.embedded === undefined ? undefined : parseAddress(found.embedded);
  const listed = policy.allowRanges.some((range) => inRange(range, parsed.family, parsed.bits) || (embedded !== undefined && inRange(range, 4, embedded.bits)));
  if (listed) return undefined;
  const form = found.embedded === undefined ? "" : ` (a form of ${found.embedded})`;
  return `${address}${form} is ${KIND_TEXT[found.kind]} (${found.range})`;
}

/**
 * Checks a URL's host before anything is resolved: an IP literal by its address, `localhost`
 * and its subdomains as 127.0.0.1 and ::1, cloud metadata names as 169.254.169.254. Other
 * names pass here and are checked on their resolved addresses at each delivery. Answers the
 * reason for a refusal, or undefined.
 */
export function checkDestinationHost(policy: DestinationPolicy, hostname: string): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  if (isIP(host) !== 0) return checkDestinationAddress(policy, host);
  if (LOOPBACK_NAME.test(host)) {
    const refused = checkDestinationAddress(policy, "127.0.0.1") ?? checkDestinationAddress(policy, "::1");
    return refused === undefined ? undefined : `${host} always names this machine (RFC 6761): ${refused}`;
  }
  if (METADATA_NAMES.has(host)) {
    const refused = checkDestinationAddress(policy, "169.254.169.254");
    return refused === undefined ? undefined : `${host} names a cloud metadata service: ${refused}`;
  }
  return undefined;
}

/** A malformed ROSTER_WEBHOOK_ALLOW_PRIVATE; `message` names the variable and the bad entry. */
export class DestinationPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DestinationPolicyError";
  }
}

/**
 * ROSTER_WEBHOOK_ALLOW_PRIVATE: unset, empty or `false` allows public addresses only; `true`
 * adds every loopback, private, link-local, unique-local and shared address; a comma-separated
 * list of CIDR ranges (`10.0.0.0/8,fd00::/8`, a bare address meaning just it) adds those.
 * Strict: anything else throws DestinationPolicyError naming the variable and the entry.
 */
export function readDestinationPolicy(env: Readonly<Record<string, string | undefined>>): DestinationPolicy {
  const text = env[ALLOW_PRIVATE_VARIABLE]?.trim();
  if (text === undefined || text === "" || text === "false") return PUBLIC_DESTINATIONS_ONLY;
  if (text === "true") return { allowPrivate: true, allowRanges: [] };
  const ranges: AddressRange[] = [];
  for (const entry of text.split(",").map((part) => part.trim())) {
    const range = parseRange(entry);
    if (typeof range === "string") {
      throw new DestinationPolicyError(
        `${ALLOW_PRIVATE_VARIABLE}: ${JSON.stringify(entry)} ${range}; expected true, false, or CIDR ranges separated by commas, such as 10.0.0.0/8,fd00::/8`,
      );
    }
    ranges.push(range);
  }
  return { allowPrivate: false, allowRanges: ranges };
}

/** `10.0.0.0/8`, `fd00::/8` or a bare address; a reason (a sentence fragment) when malformed. */
export function parseRange(text: string): AddressRange | string {
  if (text === "") return "is empty (two commas in a row?)";
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(addressText);
  if (address === undefined) return `does not start with an IPv4 or IPv6 address`;
  const width = address.family === 4 ? 32 : 128;
  let prefix = width;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > width) return `has a prefix length that is not a number from 0 to ${width}`;
    prefix = Number(prefixText);
  }
  const host = prefix === width ? 0n : address.bits & ((1n << BigInt(width - prefix)) - 1n);
  if (host !== 0n) return `has bits set after the first ${prefix}; write the range's first address`;
  return { family: address.family, bits: address.bits, prefix, text: slash === -1 ? `${addressText}/${width}` : text };
}

function mustParseRange(text: string): AddressRange {
  const range = parseRange(text);
  if (typeof range === "string") throw new Error(`destinations table: ${text} ${range}`);
  return range;
}

function inRange(range: AddressRange, family: 4 | 6, bits: bigint): boolean {
  if (range.family !== family) return false;
  const shift = BigInt((family === 4 ? 32 : 128) - range.prefix);
  return bits >> shift === range.bits >> shift;
}

function parseAddress(text: string): { readonly family: 4 | 6; readonly bits: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { family: 4, bits: parseIpv4(text) };
  if (family !== 6 || text.includes("%")) return undefined;
  // A dotted IPv4 tail (`::ffff:127.0.0.1`) becomes its two groups (`::ffff:7f00:1`).
  const head = text.replace(/(\d+\.\d+\.\d+\.\d+)$/, (dotted) => {
    const v4 = parseIpv4(dotted);
    return `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  });
  const [left = "", right] = head.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((group) => BigInt(`0x${group}`)));
  const before = groups(left);
  const after = right === undefined ? [] : groups(right);
  const missing = right === undefined ? 0 : 8 - before.length - after.length;
  const all = [...before, ...Array<bigint>(Math.max(0, missing)).fill(0n), ...after];
  if (all.length !== 8) return undefined;
  return { family: 6, bits: all.reduce((sum, group) => (sum << 16n) | group, 0n) };
}

function parseIpv4(text: string): bigint {
  return text.split(".").reduce((sum, part) => (sum << 8n) | BigInt(Number(part)), 0n);
}

function formatIpv4(bits: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join(".");
}
