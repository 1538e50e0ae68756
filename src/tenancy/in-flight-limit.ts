import type { Client } from '@temporalio/client';
import type { Principal } from '../auth/principal';
import { JOB_WORKFLOWS } from '../jobs';
import { HttpProblem } from '../api/problem';
import { tenantClause } from './tenant-clause';

/** How long one count of a tenant's running jobs answers for every submission of that tenant. */
export const IN_FLIGHT_CACHE_MS = 1_000;

interface Count {
  at: number;
  /** Running jobs as visibility counted them. */
  counted: Promise<number>;
  /** Jobs this process started since. */
  added: number;
}

/**
 * A key's `maxInFlight`: the tenant's running jobs, counted with one visibility count query per tenant and
 * second, shared by every request of the tenant (never a count per request under load). Between two counts
 * the jobs this process starts are added to the cached count, so one API process cannot overshoot by more
 * than what other processes start in that second. Jobs that end within the second are still counted:
 * the limit errs on the side of refusing.
 */
export class InFlightLimit {
  private readonly counts = new Map<string, Count>();

  constructor(
    private readonly client: Client,
    private readonly now: () => number = Date.now,
  ) {}

  /** 429 when the principal's tenant already has `maxInFlight` jobs running; nothing is started then. */
  async check(principal: Principal): Promise<void> {
    const limit = principal.maxInFlight;
    if (limit === undefined) return;
    const running = await this.running(principal.tenant);
    if (running < limit) return;
    const retryAfter = Math.ceil(IN_FLIGHT_CACHE_MS / 1_000);
    throw new HttpProblem(
      429,
      'rate-limited',
      `tenant ${principal.tenant} has ${running} jobs in flight, the most its key allows (${limit}): retry once some have ended`,
      { limit, inFlight: running },
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** Counts a job this process just started until the next count sees it. */
  started(principal: Principal): void {
    if (principal.maxInFlight === undefined) return;
    const count = this.counts.get(principal.tenant);
    if (count) count.added += 1;
  }

  private async running(tenant: string): Promise<number> {
    const now = this.now();
    let count = this.counts.get(tenant);
    if (!count || now - count.at >= IN_FLIGHT_CACHE_MS) {
      const fresh: Count = { at: now, counted: this.count(tenant), added: 0 };
      this.counts.set(tenant, fresh);
      // A failed count is not kept: the next request asks again.
      fresh.counted.catch(() => {
        if (this.counts.get(tenant) === fresh) this.counts.delete(tenant);
      });
      count = fresh;
    }
    return (await count.counted) + count.added;
  }

  private async count(tenant: string): Promise<number> {
    const types = [...JOB_WORKFLOWS].map((type) => `'${type}'`).join(', ');
    const query = `WorkflowType IN (${types}) AND ExecutionStatus = 'Running' AND ${tenantClause(tenant)}`;
    return (await this.client.workflow.count(query)).count;
  }
}
