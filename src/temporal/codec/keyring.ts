import { createSecretKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';

/** AES-256 takes exactly this many key bytes. */
export const KEY_BYTES = 32;

/** A key id travels in every payload's metadata: short, printable, no separators of the variable's format. */
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Why JOBLINE_ENCRYPTION_KEYS does not parse; the message never holds key material. */
export class KeyringFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringFormatError';
  }
}

/**
 * The payload encryption keys, by id: payloads are encrypted with the current key and decrypted with the key
 * they name, so a rotation adds a new current key and keeps the old ones for what was written before.
 *
 * Keys are held as KeyObjects, which print as `SecretKeyObject { symmetricKeySize: 32 }`: a logged config
 * never shows key material.
 */
export class EncryptionKeyring {
  private constructor(
    readonly currentKeyId: string,
    private readonly keys: ReadonlyMap<string, KeyObject>,
  ) {}

  /** `id1:base64key,id2:base64key`; the first is the current key. */
  static parse(spec: string): EncryptionKeyring {
    const entries = spec
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length === 0) throw new KeyringFormatError('expected `id:base64key[,id:base64key…]` (the first is the current key)');
    const keys = new Map<string, KeyObject>();
    entries.forEach((entry, index) => {
      const colon = entry.indexOf(':');
      // The entry itself is not quoted: it may be a bare key.
      if (colon < 0) throw new KeyringFormatError(`entry ${index + 1} is not \`id:base64key\``);
      const id = entry.slice(0, colon).trim();
      const encoded = entry.slice(colon + 1).trim();
      if (!KEY_ID_PATTERN.test(id)) throw new KeyringFormatError(`entry ${index + 1}: the key id must be 1-64 of A-Z a-z 0-9 . _ -`);
      if (keys.has(id)) throw new KeyringFormatError(`key id "${id}" appears twice`);
      keys.set(id, createSecretKey(decodeKey(encoded, id)));
    });
    return new EncryptionKeyring(entries[0]!.slice(0, entries[0]!.indexOf(':')).trim(), keys);
  }

  /** Every configured key id, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  get currentKey(): KeyObject {
    return this.keys.get(this.currentKeyId)!;
  }

  keyFor(id: string): KeyObject | undefined {
    return this.keys.get(id);
  }

  toJSON(): { currentKeyId: string; keyIds: string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `EncryptionKeyring { current: ${this.currentKeyId}, ids: ${this.keyIds.join(', ')} }`;
  }
}

function decodeKey(encoded: string, id: string): Buffer {
  if (!BASE64_PATTERN.test(encoded)) throw new KeyringFormatError(`key "${id}" is not base64`);
  const key = Buffer.from(encoded, 'base64');
  const canonical = (text: string) => text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (canonical(key.toString('base64')) !== canonical(encoded)) throw new KeyringFormatError(`key "${id}" is not base64`);
  if (key.length !== KEY_BYTES) {
    throw new KeyringFormatError(
      `key "${id}" is ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES} (make one with \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}
