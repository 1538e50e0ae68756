import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashApiKey, newApiKey } from '../../src/auth/api-key';
import type { KeyRecord } from '../../src/auth/key-file';

export type KeySpec = Omit<KeyRecord, 'hash' | 'weight'> & { weight?: number };

/** Writes a key file (as `npm run apikey` would fill it) to a temp dir; returns its path and each key by id. */
export function writeKeyFile(specs: KeySpec[], format: 'json' | 'yaml' = 'json'): { file: string; keys: Record<string, string> } {
  const keys: Record<string, string> = {};
  const records = specs.map((spec) => {
    const key = newApiKey(spec.id);
    keys[spec.id] = key;
    return { ...spec, hash: hashApiKey(key) };
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jobline-keys-'));
  const file = path.join(dir, format === 'json' ? 'keys.json' : 'keys.yaml');
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
