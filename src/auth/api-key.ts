import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key is `jlk_<key id>.<secret>`: the id says which record to compare with, so a lookup costs one
 * hash and one constant-time comparison, and a key in a log excerpt says whose it is without being usable
 * once the secret part is cut. The secret is 32 random bytes, base64url.
 */
const KEY_SHAPE = /^jlk_([a-z0-9][a-z0-9-]{0,62})\.([A-Za-z0-9_-]{43})$/;

export function newApiKey(keyId: string): string {
  return `jlk_${keyId}.${randomBytes(32).toString('base64url')}`;
}

/** The key id a presented key claims; undefined when it is not shaped like a Jobline key. */
export function keyIdOf(key: string): string | undefined {
  return KEY_SHAPE.exec(key)?.[1];
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Compares a presented key with a stored hash in constant time (both digests have the same length). */
export function keyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), 'utf8');
  const stored = Buffer.from(storedHash, 'utf8');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
