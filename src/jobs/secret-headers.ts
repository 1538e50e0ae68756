/**
 * Header names whose values are credentials (lower-case). They are dropped when an HTTP job follows a
 * redirect to another origin (as the Fetch standard drops `Authorization`), and redacted wherever
 * headers are shown. Plain data: safe to import anywhere, workflow code included.
 */
export const SECRET_HEADER_NAMES = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'] as const;

/** True when `name` (any case) is a credential header, or one of the `extra` names a job type marks secret. */
export function isSecretHeader(name: string, extra: readonly string[] = []): boolean {
  const lower = name.toLowerCase();
  return (SECRET_HEADER_NAMES as readonly string[]).includes(lower) || extra.some((other) => other.toLowerCase() === lower);
}
