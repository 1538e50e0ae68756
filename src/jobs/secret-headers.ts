/**
 * Header names whose values are credentials (lower-case). They are dropped when an HTTP job follows a
 * redirect to another origin (as the Fetch standard drops `Authorization`), and redacted wherever
 * headers are shown. Plain data: safe to import anywhere, workflow code included.
 */
export const SECRET_HEADER_NAMES: readonly string[] = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'];

const secret = new Set(SECRET_HEADER_NAMES);

/** True for a credential header, whatever the case of its name. */
export function isSecretHeader(name: string): boolean {
  return secret.has(name.toLowerCase());
}
