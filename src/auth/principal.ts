import type { Response } from 'express';

/**
 * Who is asking: the key that authenticated the request, the tenant it belongs to and its role.
 *
 * Terminology: a **tenant** owns jobs, schedules and pipeline nodes; a **key** (API key) belongs to one tenant
 * and has one **role**; an `admin` key sees every tenant.
 */
export const ROLES = ['reader', 'submitter', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The tenant of every job created without authentication (open mode) and of jobs from before tenants. */
export const DEFAULT_TENANT = 'default';

/** A tenant id: short, lower-case, no separators, so it can be a fairness key (≤ 64 bytes) and part of an id. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Principal {
  /** The key id from the key file (never the key); `anonymous` in open mode. */
  keyId: string;
  tenant: string;
  role: Role;
  /** Fairness weight of the tenant's jobs (1 = an equal share). */
  weight: number;
  /** Submissions this key may make per window (from the key file); unlimited when absent. */
  rateLimit?: { requests: number; perSeconds: number };
  /** Jobs of the tenant that may be in flight (not ended) at once; unlimited when absent. */
  maxInFlight?: number;
}

/** Open mode (no key file, loopback only): one caller who may do everything, in the default tenant. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ keyId: 'anonymous', tenant: DEFAULT_TENANT, role: 'admin', weight: 1 });

const RANK: Record<Role, number> = { reader: 0, submitter: 1, operator: 2, admin: 3 };

/** Roles are ordered: each one may do what the ones before it may. */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Whether the principal may see something that belongs to `tenant` (admins see every tenant). */
export function canSeeTenant(principal: Principal, tenant: string | undefined): boolean {
  return principal.role === 'admin' || principal.tenant === (tenant ?? DEFAULT_TENANT);
}

/** The principal the authentication middleware put on the response; the open principal when auth is off. */
export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? OPEN_PRINCIPAL;
}

export function setPrincipal(res: Response, principal: Principal): void {
  res.locals.principal = principal;
}
