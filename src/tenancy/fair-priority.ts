import type { Priority } from '@temporalio/common';
import type { Principal } from '../auth/principal';

/** Who a workflow start is for: the tenant that will own it and the weight of its share. */
export type Owner = Pick<Principal, 'tenant' | 'weight'>;

/**
 * The priority of every workflow Jobline starts: the job's priority first, then Temporal's fairness between
 * tenants (each tenant's tasks are dispatched in proportion to its weight). Activities and child workflows
 * leave these fields empty and so inherit them from their workflow (see Priority in @temporalio/common).
 */
export function fairPriority(priorityKey: number, owner: Owner): Priority {
  return { priorityKey, fairnessKey: owner.tenant, fairnessWeight: owner.weight };
}
