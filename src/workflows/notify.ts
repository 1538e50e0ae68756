import { CancellationScope, log, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { JobStatusKey, JobTenantKey } from '../jobs/search-attributes';
import {
  DELIVERY_MEMO_KEY,
  displayUrl,
  webhookIdFor,
  type DeliveryState,
  type NotifyEvent,
  type NotifySpec,
  type WebhookJobData,
} from '../webhooks/events';
import { deliverWebhook } from './deliver-webhook';

/**
 * Starts the delivery of one event as an abandoned child workflow: it outlives the job, and the job neither
 * waits for it nor fails with it. Only a job whose spec has `notify` gets here, so the histories of jobs
 * without one are what they were. Not cancellable: a cancelled job still announces that it was cancelled.
 * The server starts a child only while its parent runs: the job awaits the returned promise before it
 * closes (`JobLifecycle.settled`). It never rejects.
 */
export function startDelivery(
  notify: NotifySpec,
  event: NotifyEvent,
  occurrence: number,
  tenant: string | undefined,
  data: WebhookJobData,
): Promise<void> | undefined {
  if (!notify.events.includes(event)) return undefined;
  const webhookId = webhookIdFor(data.id, event, occurrence);
  const initial: DeliveryState = { jobId: data.id, event, webhookId, url: displayUrl(notify.url), state: 'pending', attempts: 0 };
  const start = CancellationScope.nonCancellable(() =>
    startChild(deliverWebhook, {
      workflowId: webhookId,
      args: [{ jobId: data.id, event, url: notify.url, payload: { type: `job.${event}`, timestamp: new Date().toISOString(), data } }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { [DELIVERY_MEMO_KEY]: initial },
      // The job's tenant owns its deliveries: the failures listing and redeliver filter by it.
      typedSearchAttributes: [{ key: JobStatusKey, value: 'active' }, ...(tenant ? [{ key: JobTenantKey, value: tenant }] : [])],
    }),
  );
  return start.then(
    () => undefined,
    (err: unknown) => log.warn('could not start a webhook delivery', { jobId: data.id, webhookId, error: String(err) }),
  );
}
