import { DEFAULT_TENANT, TENANT_PATTERN, type Principal } from '../auth/principal';
import { JobTenantKey } from '../jobs/search-attributes';

/**
 * The visibility clause of one tenant. The tenant always comes from a key file (validated by TENANT_PATTERN)
 * or a query parameter validated by the same pattern, never raw from a request; it is checked here again
 * because the clause is pasted into a query. Jobs from before tenants carry no JobTenant: they are the
 * default tenant's.
 */
export function tenantClause(tenant: string): string {
  if (!TENANT_PATTERN.test(tenant)) throw new Error(`not a tenant id: ${JSON.stringify(tenant)}`);
  const clause = `${JobTenantKey.name} = '${tenant}'`;
  return tenant === DEFAULT_TENANT ? `(${clause} OR ${JobTenantKey.name} IS NULL)` : clause;
}

/**
 * The tenant clauses of a listing: a non-admin sees its own tenant only (a `tenant` filter naming another one
 * then lists nothing, which tells nothing); an admin sees every tenant, or the one it filters by.
 */
export function tenantClauses(principal: Principal, filter?: string): string[] {
  const clauses: string[] = [];
  if (principal.role !== 'admin') clauses.push(tenantClause(principal.tenant));
  if (filter !== undefined && !(clauses.length > 0 && filter === principal.tenant)) clauses.push(tenantClause(filter));
  return clauses;
}
