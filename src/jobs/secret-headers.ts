/** Request headers that carry credentials: their values are never shown in a view, an error or a log line. */
export const SECRET_HEADER_NAMES = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'] as const;

/** True when `name` (any case) is a credential header, or one of the `extra` names a job type marks secret. */
export function isSecretHeader(name: string, extra: readonly string[] = []): boolean {
  const lower = name.toLowerCase();
  return (SECRET_HEADER_NAMES as readonly string[]).includes(lower) || extra.some((other) => other.toLowerCase() === lower);
}
