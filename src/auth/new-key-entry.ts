import { randomBytes } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { hashApiKey, newApiKey } from './api-key';
import { KeyRecord } from './key-file';
import { ROLES } from './principal';

/** What `npm run apikey` was asked for; strings as they come from the command line. */
export interface KeyRequest {
  tenant?: string;
  role?: string;
  id?: string;
  /** `<requests>/<seconds>`, e.g. `100/60`. */
  rate?: string;
  maxInFlight?: string;
  weight?: string;
}

export interface NewKeyEntry {
  /** The key itself: shown once, stored nowhere. */
  key: string;
  record: KeyRecord;
  yaml: string;
  json: string;
}

export class KeyRequestError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'KeyRequestError';
  }
}

const number = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

function rateOf(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  // A malformed --rate is handed on as it is, so the schema's message names the field.
  return match ? { requests: Number(match[1]), perSeconds: Number(match[2]) } : text;
}

/**
 * A new key and its key-file entry, checked by the same schema the API reads the file with, so a line that
 * this prints is a line the API accepts. The id defaults to `<tenant>-<role>-<6 hex>`.
 */
export function newKeyEntry(request: KeyRequest): NewKeyEntry {
  const id = request.id ?? `${request.tenant ?? 'tenant'}-${request.role ?? 'role'}-${randomBytes(3).toString('hex')}`;
  const draft = {
    id,
    hash: 'sha256:' + '0'.repeat(64), // replaced once the id is known to be valid
    tenant: request.tenant,
    role: request.role,
    ...(request.rate !== undefined ? { rateLimit: rateOf(request.rate) } : {}),
    ...(request.maxInFlight !== undefined ? { maxInFlight: number(request.maxInFlight) } : {}),
    ...(request.weight !== undefined ? { weight: number(request.weight) } : {}),
  };
  const checked = KeyRecord.safeParse(draft);
  if (!checked.success) {
    // A derived id is only wrong when the tenant or role is, and those are reported already.
    const issues = checked.error.issues.filter((issue) => request.id !== undefined || issue.path[0] !== 'id');
    throw new KeyRequestError(
      issues.map(
        (issue) => `${flagOf(issue.path)}: ${issue.path[0] === 'rateLimit' ? 'expected <requests>/<seconds>, e.g. 100/60' : issue.message}`,
      ),
    );
  }
  const key = newApiKey(id);
  const record: KeyRecord = { ...checked.data, hash: hashApiKey(key) };
  // The weight is written only when asked for: the file stays as short as what was chosen.
  const written: Record<string, unknown> = { ...record };
  if (request.weight === undefined) delete written.weight;
  return { key, record, yaml: toYaml({ keys: [written] }).trimEnd(), json: JSON.stringify(written) };
}

function flagOf(path: PropertyKey[]): string {
  const field = String(path[0] ?? 'key');
  const flags: Record<string, string> = { rateLimit: '--rate', maxInFlight: '--max-in-flight', weight: '--weight' };
  return flags[field] ?? `--${field}`;
}

export const ROLE_HELP = ROLES.join(' | ');
