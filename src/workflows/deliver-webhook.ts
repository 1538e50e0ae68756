import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createWebhookActivities } from '../activities/deliver-webhook';
import { JobStatusKey } from '../jobs/search-attributes';
import { DELIVERY_MEMO_KEY, displayUrl, type DeliveryState, type WebhookRequest } from '../webhooks/events';
import { getDeliveryQuery, redeliverSignal } from '../webhooks/messages';

/** How long a failed delivery waits for `redeliver` before it ends `Failed` for good. */
export const FAILED_DELIVERY_KEPT_MS = 7 * 24 * 60 * 60_000;

// The activity answers every HTTP outcome itself (delivered, retry in n ms, give up); a thrown error is the
// worker's (crashed, lost): those few retries are Temporal's.
const { sendWebhook } = proxyActivities<ReturnType<typeof createWebhookActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds', backoffCoefficient: 2 },
});

/**
 * One event's webhook: tries until the receiver takes it (2xx), the receiver says `410 Gone`, or the retry
 * policy (the activity's, from the worker's configuration) gives up; then waits as a failed delivery for a
 * redeliver signal. Started by a job's lifecycle as an abandoned child, so it never holds the job up. The
 * workflow id is the `webhook-id`; every try's state goes to the memo, which the API lists in one call.
 */
export async function deliverWebhook(request: WebhookRequest): Promise<DeliveryState> {
  const webhookId = workflowInfo().workflowId;
  const state: DeliveryState = {
    jobId: request.jobId,
    event: request.event,
    webhookId,
    url: displayUrl(request.url),
    state: 'pending',
    attempts: 0,
  };
  let redeliver = false;
  setHandler(getDeliveryQuery, () => state);
  setHandler(redeliverSignal, () => {
    if (state.state === 'failed') redeliver = true;
  });
  const body = JSON.stringify(request.payload);
  for (;;) {
    let attempt = 0;
    let clientErrors = 0;
    for (;;) {
      attempt += 1;
      state.attempts += 1;
      const outcome = await sendWebhook({ webhookId, url: request.url, body, attempt, clientErrors });
      state.lastStatus = outcome.status;
      state.lastError = outcome.error;
      delete state.nextAttemptAt;
      if (outcome.delivered) {
        state.state = 'delivered';
        state.deliveredAt = new Date().toISOString();
        upsertMemo({ [DELIVERY_MEMO_KEY]: state });
        return state;
      }
      if (outcome.clientError) clientErrors += 1;
      if (outcome.retryInMs === undefined) break;
      state.nextAttemptAt = new Date(Date.now() + outcome.retryInMs).toISOString();
      upsertMemo({ [DELIVERY_MEMO_KEY]: state });
      await sleep(outcome.retryInMs);
    }
    state.state = 'failed';
    state.failedAt = new Date().toISOString();
    log.warn('webhook delivery failed', { jobId: request.jobId, webhookId, attempts: state.attempts, error: state.lastError });
    // `JobStatus` is the failures listing's filter (this workflow is no job: job listings never see it).
    upsertSearchAttributes([{ key: JobStatusKey, value: 'dead_lettered' }]);
    upsertMemo({ [DELIVERY_MEMO_KEY]: state });
    if (!(await condition(() => redeliver, FAILED_DELIVERY_KEPT_MS))) {
      throw ApplicationFailure.nonRetryable(
        `webhook ${webhookId} was not delivered: ${state.lastError ?? 'failed'}`,
        'WebhookNotDelivered',
      );
    }
    redeliver = false;
    state.state = 'pending';
    delete state.failedAt;
    upsertSearchAttributes([{ key: JobStatusKey, value: 'active' }]);
    upsertMemo({ [DELIVERY_MEMO_KEY]: state });
    log.info('webhook redelivery requested', { jobId: request.jobId, webhookId });
  }
}
