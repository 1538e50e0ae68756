import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashApiKey, newApiKey } from '../../src/auth/api-key';
import type { KeyRecord } from '../../src/auth/key-file';

export type KeySpec = Omit<KeyRecord, 'hash' | 'weight'> & { weight?: number };

/**
 * Writes a key file (as `npm run apikey` would fill it) to a temp dir, or over `into`; returns its path and
 * each key by id.
 */
export function writeKeyFile(
  specs: KeySpec[],
  format: 'json' | 'yaml' = 'json',
  into?: string,
): { file: string; keys: Record<string, string> } {
  const keys: Record<string, string> = {};
  const records = specs.map((spec) => {
    const key = newApiKey(spec.id);
    keys[spec.id] = key;
    return { ...spec, hash: hashApiKey(key) };
  });
  const file = into ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'jobline-keys-')), format === 'json' ? 'keys.json' : 'keys.yaml');
  const text =
    format === 'json'
      ? JSON.stringify({ keys: records }, null, 2)
      : `keys:\n${records
          .map(
            (r) =>
              `  - ${Object.entries(r)
                .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
                .join('\n    ')}`,
          )
          .join('\n')}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  return { file, keys };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

export interface KeyedReply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of many shapes
  body: any;
}

/** A caller with one key: `as(method, path, body?)` sends JSON with `Authorization: Bearer <key>` (none when key is undefined). */
export function caller(baseUrl: string, key: string | undefined) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<KeyedReply> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(key ? bearer(key) : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
}
