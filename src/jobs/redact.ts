import type { NestedSecrets, SecretFields } from './define';
import { isSecretHeader } from './secret-headers';

/** What a secret value is shown as, in every view and error. */
export const REDACTED = '[redacted]';

/**
 * The declaration whose secrets apply: a job type or a batch handler. `undefined` means an unknown one (an
 * old or foreign job type): then every field named like a credential header, at any depth, is secret.
 */
export type SecretsDeclaration = { secrets?: SecretFields } | undefined;

type Container = Record<string | number, unknown>;
type Visit = (holder: Container, key: string | number) => void;

/** What a view shows of a job's input: a deep copy with every secret value replaced by "[redacted]". */
export function redactInput(declaration: SecretsDeclaration, input: unknown): unknown {
  const copy = deepCopy(input);
  forEachSecret(copy, declaration, (holder, key) => {
    holder[key] = REDACTED;
  });
  return copy;
}

/** The secret strings in an input, for scrubbing text that may repeat them (an error echoing a header). */
export function secretValues(declaration: SecretsDeclaration, input: unknown): string[] {
  const values = new Set<string>();
  forEachSecret(input, declaration, (holder, key) => collectStrings(holder[key], values));
  return [...values];
}

/** Short parts of a secret (an auth scheme such as `Bearer`) are not worth hiding, and would hide ordinary words. */
const MIN_PART_LENGTH = 8;
const MIN_VALUE_LENGTH = 4;

/**
 * Replaces every occurrence of a secret in `text`: the whole value, and each longer part of it (the token
 * after `Bearer `, a cookie's value), since a target may echo only that part back.
 */
export function scrubSecrets(text: string, values: readonly string[]): string {
  const needles = new Set<string>();
  for (const value of values) {
    if (value.length >= MIN_VALUE_LENGTH) needles.add(value);
    for (const part of value.split(/[\s;,=]+/)) if (part.length >= MIN_PART_LENGTH) needles.add(part);
  }
  // Longest first, so that a part never leaves the rest of its value behind.
  return [...needles].sort((a, b) => b.length - a.length).reduce((scrubbed, needle) => scrubbed.split(needle).join(REDACTED), text);
}

function forEachSecret(root: unknown, declaration: SecretsDeclaration, visit: Visit): void {
  if (!declaration) return forEachCredentialKey(root, new Set(), visit);
  const secrets = declaration.secrets;
  if (!secrets) return;
  const extra = secrets.secretHeaders ?? [];
  const headerPaths = secrets.headers === true ? ['headers'] : (secrets.headers ?? []);
  for (const path of headerPaths) {
    for (const record of resolve(root, split(path))) {
      for (const key of Object.keys(record)) if (isSecretHeader(key, extra)) visit(record, key);
    }
  }
  for (const path of secrets.paths ?? []) {
    const segments = split(path);
    const last = segments.pop();
    if (last === undefined) continue;
    for (const holder of resolve(root, segments)) {
      for (const key of keysOf(holder, last)) visit(holder, key);
    }
  }
  if (!secrets.nested) return;
  let nested: readonly NestedSecrets[];
  try {
    nested = secrets.nested(root);
  } catch {
    // A foreign shape the declaration cannot read: hide every credential-named field rather than nothing.
    return forEachCredentialKey(root, new Set(), visit);
  }
  for (const inner of nested) {
    const parent = resolve(root, inner.path.slice(0, -1).map(String))[0];
    const key = inner.path[inner.path.length - 1];
    if (!parent || key === undefined || !(key in parent)) continue;
    forEachSecret(parent[key], inner.declaration, visit);
  }
}

/** The fallback for unknown declarations: every field named like a credential header, at any depth. */
function forEachCredentialKey(value: unknown, seen: Set<unknown>, visit: Visit): void {
  if (!isContainer(value) || seen.has(value)) return;
  seen.add(value);
  for (const key of Object.keys(value)) {
    if (isSecretHeader(key)) visit(value, key);
    else forEachCredentialKey(value[key], seen, visit);
  }
}

/** Every container at `segments` from `root`; `*` matches each key of an object or index of an array. */
function resolve(root: unknown, segments: readonly string[]): Container[] {
  let current: unknown[] = [root];
  for (const segment of segments) {
    current = current.flatMap((value) => (isContainer(value) ? keysOf(value, segment).map((key) => value[key]) : []));
  }
  return current.filter(isContainer);
}

function keysOf(holder: Container, segment: string): Array<string | number> {
  if (segment === '*') return Array.isArray(holder) ? holder.map((_, index) => index) : Object.keys(holder);
  return Object.prototype.hasOwnProperty.call(holder, segment) ? [segment] : [];
}

function split(path: string): string[] {
  return path.split('.').filter((segment) => segment.length > 0);
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (isContainer(value)) for (const inner of Object.values(value)) collectStrings(inner, into);
}

/** Inputs are decoded JSON: plain objects, arrays and scalars. */
function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isContainer(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, deepCopy(inner)]));
  return value;
}

const CREDENTIAL_TEXT = /\b(authorization|proxy-authorization|cookie|x-api-key)("?\s*[:=]\s*"?)([^"\r\n,}]*)/gi;

/**
 * For text no declaration describes (an SDK log message, which may quote a payload): hides what follows a
 * credential header's name, as in `Authorization: Bearer …` or `"cookie":"…"`.
 */
export function scrubCredentialText(text: string): string {
  return text.replace(CREDENTIAL_TEXT, (_match, name: string, separator: string) => `${name}${separator}${REDACTED}`);
}
