import { randomFillSync } from "node:crypto";

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Users,
 * groups and change events get these ids: they grow with time, so the primary key and the
 * other indexes on the id are appended to instead of written at a random page of a
 * million-row index on every create (docs/benchmarks.md). A SCIM id stays opaque (RFC 7643
 * §3.1); it tells nothing `meta.created` does not.
 */
export function newTimeOrderedId(now: number = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  randomInto(bytes, 6);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Cryptographically random bytes, drawn from a pool filled 4 KB at a time (as
 * `crypto.randomUUID` does for its own ids): `randomBytes(16)` per id was a system call and
 * a buffer per create (docs/benchmarks.md). Each byte is handed out once.
 */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function randomInto(target: Buffer, from: number): void {
  const length = target.length - from;
  if (poolOffset + length > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  POOL.copy(target, from, poolOffset, poolOffset + length);
  poolOffset += length;
}
