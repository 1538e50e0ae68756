import { DEFAULT_TENANT, type Principal } from '../auth/principal';

/**
 * Ids a client chooses (an Idempotency-Key, a schedule id) become Temporal ids, which are global: two tenants
 * choosing the same one would collide, and the loser would learn that the other exists. A tenant other than
 * the default gets its ids prefixed with `<tenant>:`. A client-chosen id never holds a `:` (IdempotencyKey and
 * ScheduleId allow only A-Z a-z 0-9 . _ ~ -), job type names hold none either, and a tenant holds none
 * (TENANT_PATTERN): so a prefixed id can never equal a default-tenant id nor another tenant's. The default
 * tenant keeps the ids it always had.
 */
export const TENANT_SEPARATOR = ':';

export function tenantScopedId(tenant: string, id: string): string {
  return tenant === DEFAULT_TENANT ? id : `${tenant}${TENANT_SEPARATOR}${id}`;
}

/** The tenant a tenant-scoped id belongs to, and the id as its tenant wrote it. */
export function splitScopedId(scoped: string): { tenant: string; id: string } {
  const at = scoped.indexOf(TENANT_SEPARATOR);
  return at < 0 ? { tenant: DEFAULT_TENANT, id: scoped } : { tenant: scoped.slice(0, at), id: scoped.slice(at + 1) };
}

/**
 * The Temporal schedule id a caller means by the id in its URL: its own tenant's schedule of that id. An
 * admin may also name another tenant's schedule by the id the admin's listing shows (`acme:nightly`).
 */
export function scheduleIdFor(principal: Principal, urlId: string): string {
  if (principal.role === 'admin' && urlId.includes(TENANT_SEPARATOR)) return urlId;
  return tenantScopedId(principal.tenant, urlId);
}

/** The id a caller sees for a schedule: the bare id within its own tenant, the scoped id across tenants. */
export function scheduleIdSeenBy(principal: Principal, scheduleId: string): string {
  const { tenant, id } = splitScopedId(scheduleId);
  return tenant === principal.tenant ? id : scheduleId;
}
