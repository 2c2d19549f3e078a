import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** The environment variable holding the key that encrypts webhook signing secrets at rest. */
export const SECRET_KEY_VARIABLE = "ROSTER_SECRET_KEY";

/** How an operator makes a key; every message about a missing or malformed key says it. */
export const MAKE_SECRET_KEY = "make one with: openssl rand -base64 32";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Version of the sealed format: `v1:<base64 of iv | tag | ciphertext>`. */
const SEALED_PREFIX = "v1:";

/** A missing, malformed or wrong ROSTER_SECRET_KEY; `message` is one line that says what to do. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyError";
  }
}

/** 32 bytes decoded from base64: the key as configured. */
export type SecretKey = Buffer & { readonly __secretKey: true };

/**
 * The key in ROSTER_SECRET_KEY: undefined when the variable is unset or empty; a
 * SecretKeyError when it is not exactly 32 bytes of base64 (standard or URL-safe alphabet).
 */
export function readSecretKey(env: Readonly<Record<string, string | undefined>>): SecretKey | undefined {
  const text = env[SECRET_KEY_VARIABLE]?.trim();
  if (text === undefined || text === "") return undefined;
  return parseSecretKey(text);
}

/** Like readSecretKey, but a missing key is a SecretKeyError too, saying why it is needed (`purpose`). */
export function requireSecretKey(env: Readonly<Record<string, string | undefined>>, purpose: string): SecretKey {
  const key = readSecretKey(env);
  if (key === undefined) throw new SecretKeyError(`${SECRET_KEY_VARIABLE} is not set; ${purpose}; ${MAKE_SECRET_KEY}`);
  return key;
}

/** Decodes a configured key; throws SecretKeyError naming what is wrong with it (never echoing it). */
export function parseSecretKey(text: string): SecretKey {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new SecretKeyError(`${SECRET_KEY_VARIABLE} is not base64 (it has characters outside A-Z a-z 0-9 + / = - _); ${MAKE_SECRET_KEY}`);
  }
  const key = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length !== KEY_BYTES) {
    throw new SecretKeyError(`${SECRET_KEY_VARIABLE} decodes to ${key.length} bytes; it must be ${KEY_BYTES} random bytes in base64 — ${MAKE_SECRET_KEY}`);
  }
  return key as SecretKey;
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`, bound to `context` (the webhook id: a
 * sealed secret copied onto another webhook's row does not open). A fresh random IV per call.
 */
export function sealSecret(key: SecretKey, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64");
}

/** Decrypts what sealSecret made; throws SecretKeyError when `key` (or `context`) is not the one it was sealed with. */
export function openSecret(key: SecretKey, sealed: string, context: string): string {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new SecretKeyError(`the stored secret of ${context} is not in a format this Roster knows`);
  const bytes = Buffer.from(sealed.slice(SEALED_PREFIX.length), "base64");
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError(`the stored secret of ${context} is truncated`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretKeyError(`${SECRET_KEY_VARIABLE} cannot decrypt the stored secret of ${context}: it is not the key that secret was encrypted with`);
  }
}
