import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Witness-link tokens: `<id>.<secret>`, a 64-bit public id (to find the row) and a 256-bit secret of which
// only the SHA-256 is stored; the presented secret's hash is compared in constant time.

const TOKEN = /^([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

/** A fresh token with its id and the hash to store. */
export function newWitnessToken(): { token: string; id: string; secretHash: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `${id}.${secret}`, id, secretHash: sha256Hex(secret) };
}

/** The id and secret of a well-formed token, or undefined. */
export function parseWitnessToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = createHash('sha256').update(secret).digest();
  const b = Buffer.from(storedHash, 'hex');
  return b.length === a.length && timingSafeEqual(a, b);
}

/** Hex SHA-256 of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A fresh browser-binding secret (the cookie value). */
export function newBrowserSecret(): string {
  return randomBytes(32).toString('base64url');
}
