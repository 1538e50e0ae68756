import { canSeeTenant, type Principal } from '../auth/principal';
import { tenantClauses } from '../tenancy/tenant-clause';
import { tenantOf } from '../tenancy/job-tenant';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { z } from 'zod';
import { DELIVERY_MEMO_KEY, WEBHOOK_WORKFLOW, webhookIdPrefix, type DeliveryState } from '../webhooks/events';
import { getDeliveryQuery, redeliverSignal } from '../webhooks/messages';
import { ListingCursor } from './job-listing';
import { HttpProblem } from './problem';

/** One delivery as the API shows it (in `notify.deliveries` of a job, and in the failures listing). */
export type DeliveryView = Omit<DeliveryState, 'jobId' | 'url'> & { jobId?: string; url?: string };

export const ListWebhookFailuresQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: ListingCursor.optional(),
  })
  .strict();

export interface WebhookFailurePage {
  failures: DeliveryView[];
  nextCursor?: string;
}

/** Visibility strings are single-quoted: a quote or backslash in a job id must not end one. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A job's webhook deliveries and the failed ones, from Temporal's own record: each delivery workflow keeps
 * its state in its memo, so one visibility list answers for all of a job's (no describe, no query, no worker).
 */
export class WebhookDeliveries {
  constructor(private readonly client: Client) {}

  /** Every delivery of the job, oldest first (`WorkflowId STARTS_WITH '<job id>/webhook/'`). */
  async ofJob(jobId: string): Promise<DeliveryView[]> {
    const query = `WorkflowType = '${WEBHOOK_WORKFLOW}' AND WorkflowId STARTS_WITH ${quoted(webhookIdPrefix(jobId))}`;
    const deliveries: DeliveryView[] = [];
    for await (const execution of this.client.workflow.list({ query, pageSize: 100 })) {
      const state = execution.memo?.[DELIVERY_MEMO_KEY] as DeliveryState | undefined;
      if (state) deliveries.push(viewOf(state, false));
      if (deliveries.length >= 100) break;
    }
    return deliveries.reverse();
  }

  /** Deliveries whose tries are used up (or stopped by a 410), newest first; each may be re-sent. */
  async failures(query: z.infer<typeof ListWebhookFailuresQuery>, principal: Principal): Promise<WebhookFailurePage> {
    const namespace = this.client.options.namespace;
    const response = await this.client.workflowService.listWorkflowExecutions({
      namespace,
      pageSize: query.limit,
      nextPageToken: query.cursor ? Buffer.from(query.cursor, 'base64url') : undefined,
      // The tenant clause is part of the query: another tenant's failures are never read, let alone filtered out.
      query: [
        `WorkflowType = '${WEBHOOK_WORKFLOW}'`,
        `ExecutionStatus = 'Running'`,
        `JobStatus = 'dead_lettered'`,
        ...tenantClauses(principal),
      ].join(' AND '),
    });
    const converter = this.client.options.loadedDataConverter;
    const failures: DeliveryView[] = [];
    for (const raw of response.executions ?? []) {
      const info = await executionInfoFromRaw(raw, converter, raw, namespace);
      const state = info.memo?.[DELIVERY_MEMO_KEY] as DeliveryState | undefined;
      if (state) failures.push(viewOf(state, true));
    }
    const token = response.nextPageToken;
    return { failures, ...(token && token.length > 0 ? { nextCursor: Buffer.from(token).toString('base64url') } : {}) };
  }

  /** Sends a failed delivery again: the same webhook-id and body, fresh tries. */
  async redeliver(webhookId: string, principal: Principal): Promise<DeliveryView> {
    const handle = this.client.workflow.getHandle(webhookId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(webhookId);
      throw err;
    }
    // Another tenant's delivery answers exactly as a missing one.
    if (description.type !== WEBHOOK_WORKFLOW || !canSeeTenant(principal, tenantOf(description))) throw notFound(webhookId);
    const state = description.memo?.[DELIVERY_MEMO_KEY] as DeliveryState | undefined;
    if (description.status.name !== 'RUNNING') {
      throw new HttpProblem(
        409,
        'invalid-state',
        `webhook ${webhookId} is ${state?.state === 'delivered' ? 'delivered' : 'no longer kept for redelivery'}`,
        {
          deliveryState: state?.state ?? 'failed',
        },
      );
    }
    if (state?.state !== 'failed') {
      throw new HttpProblem(
        409,
        'invalid-state',
        `webhook ${webhookId} is ${state?.state ?? 'pending'}, not failed: it is still being tried`,
        {
          deliveryState: state?.state ?? 'pending',
        },
      );
    }
    await handle.signal(redeliverSignal);
    return viewOf({ ...state, state: 'pending' }, true);
  }

  /** The live state, for a caller that needs it newer than visibility (tests, operators). */
  async live(webhookId: string): Promise<DeliveryState> {
    return this.client.workflow.getHandle(webhookId).query(getDeliveryQuery);
  }
}

function viewOf(state: DeliveryState, withJob: boolean): DeliveryView {
  const { jobId, url, ...rest } = state;
  return withJob ? { jobId, url, ...rest } : rest;
}

function notFound(webhookId: string): HttpProblem {
  return new HttpProblem(404, 'not-found', `no webhook delivery with id ${webhookId}`);
}
