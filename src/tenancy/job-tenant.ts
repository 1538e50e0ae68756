import { TypedSearchAttributes } from '@temporalio/common';
import { DEFAULT_TENANT } from '../auth/principal';
import { JobTenantKey } from '../jobs/search-attributes';

/** What a workflow description or a schedule summary says about its owner. */
interface Owned {
  typedSearchAttributes?: TypedSearchAttributes | unknown;
  memo?: Record<string, unknown>;
}

/**
 * The tenant that owns a job or schedule: its JobTenant search attribute, else its memo's `tenant`, else
 * (from before tenants) the default tenant.
 */
export function tenantOf(owned: Owned): string {
  const attributes = owned.typedSearchAttributes;
  const fromAttribute = attributes instanceof TypedSearchAttributes ? attributes.get(JobTenantKey) : undefined;
  if (fromAttribute) return fromAttribute;
  const fromMemo = owned.memo?.tenant;
  return typeof fromMemo === 'string' && fromMemo.length > 0 ? fromMemo : DEFAULT_TENANT;
}
