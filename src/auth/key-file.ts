import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ROLES, TENANT_PATTERN } from './principal';

/**
 * The API key file (JOBLINE_API_KEYS_FILE), JSON or YAML:
 *
 *   keys:
 *     - id: acme-ci                     # shown in logs and audit lines; part of the key itself
 *       hash: sha256:<64 hex digits>    # of the whole key; the key itself is never stored
 *       tenant: acme
 *       role: submitter                 # reader | submitter | operator | admin
 *       rateLimit: { requests: 100, perSeconds: 60 }   # optional: submissions per key
 *       maxInFlight: 1000               # optional: the tenant's jobs that have not ended
 *       weight: 2                       # optional: fairness weight of the tenant's jobs (default 1)
 *
 * A plain SHA-256 is enough here: keys are 256-bit random secrets, so there is nothing to guess that a slow
 * hash would protect (passwords need one; these are not passwords).
 */
export const KEY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const KeyRecord = z
  .object({
    id: z.string().regex(KEY_ID_PATTERN, 'lower-case letters, digits and dashes (at most 63)'),
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lower-case hex digits> (npm run apikey prints it)'),
    tenant: z.string().regex(TENANT_PATTERN, 'lower-case letters, digits and dashes (at most 63)'),
    role: z.enum(ROLES),
    rateLimit: z
      .object({ requests: z.number().int().positive(), perSeconds: z.number().int().positive().max(86_400) })
      .strict()
      .optional(),
    maxInFlight: z.number().int().positive().optional(),
    weight: z.number().min(0.001).max(1000).default(1),
  })
  .strict();
export type KeyRecord = z.infer<typeof KeyRecord>;

export const KeyFile = z
  .object({ keys: z.array(KeyRecord) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.keys.forEach((key, index) => {
      if (seen.has(key.id)) ctx.addIssue({ code: 'custom', path: ['keys', index, 'id'], message: `duplicate key id ${key.id}` });
      seen.add(key.id);
    });
  });
export type KeyFile = z.infer<typeof KeyFile>;

export class KeyFileError extends Error {
  constructor(file: string, detail: string) {
    super(`API key file ${file}: ${detail}`);
    this.name = 'KeyFileError';
  }
}

/** Reads and validates the key file; the error names the file and the bad entries, never a hash. */
export function readKeyFile(file: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyFileError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let data: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    data = parseYaml(text);
  } catch {
    throw new KeyFileError(file, 'is neither JSON nor YAML');
  }
  const parsed = KeyFile.safeParse(data);
  if (!parsed.success) {
    throw new KeyFileError(file, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}
