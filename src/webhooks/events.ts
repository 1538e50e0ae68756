// The webhook vocabulary shared by the edge, the workflows and the activity. Imported by workflow code:
// types and constants only, no Node APIs, no zod.

/** Every job event a webhook can be asked for (`notify.events`). */
export const NOTIFY_EVENTS = ['completed', 'failed', 'cancelled', 'timed_out', 'dead_lettered', 'retried', 'waiting', 'running'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** What `notify` sends when it names no events: the terminal ones and the dead letters. */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEvent[] = ['completed', 'failed', 'cancelled', 'timed_out', 'dead_lettered'];

/** A job's `notify`, as resolved at the edge into its spec. */
export interface NotifySpec {
  url: string;
  events: NotifyEvent[];
}

/** The delivery workflow's type: not a job (JOB_WORKFLOWS does not list it). */
export const WEBHOOK_WORKFLOW = 'deliverWebhook';

/**
 * The workflow id of one event's delivery, which is also its `webhook-id`: stable across every retry and
 * redelivery, so a receiver deduplicates by it. The n-th occurrence of an event (a job dead-lettered twice)
 * gets `-n`.
 */
export function webhookIdFor(jobId: string, event: NotifyEvent, occurrence = 1): string {
  return `${jobId}/webhook/${event}${occurrence > 1 ? `-${occurrence}` : ''}`;
}

/** The part of every webhook id after the job id: how the API finds a job's deliveries (`STARTS_WITH`). */
export function webhookIdPrefix(jobId: string): string {
  return `${jobId}/webhook/`;
}

/** The body every delivery POSTs (Standard Webhooks: `type`, `timestamp`, `data`). */
export interface WebhookPayload {
  /** `job.completed`, `job.dead_lettered`, ... */
  type: `job.${NotifyEvent}`;
  /** When the event happened (workflow time), ISO 8601. The `webhook-timestamp` header is the send time. */
  timestamp: string;
  data: WebhookJobData;
}

/** The job's public view as the workflow knows it, without its result (a link to it instead). */
export interface WebhookJobData {
  id: string;
  type: string;
  status: NotifyEvent | 'running';
  correlationId?: string;
  metadata?: Record<string, string>;
  createdAt?: string;
  /** 1 + the retries from the dead letters. */
  round?: number;
  attempts?: number;
  lastError?: { type: string; message: string };
  links: { self: string; result: string };
}

/** What the delivery workflow is started with. */
export interface WebhookRequest {
  jobId: string;
  event: NotifyEvent;
  url: string;
  payload: WebhookPayload;
}

/** One try as the activity reports it. */
export interface DeliveryAttempt {
  delivered: boolean;
  /** The HTTP status, when the receiver answered. */
  status?: number;
  /** Why it failed (status and the start of the body, or the network error): never a secret. */
  error?: string;
  /** The receiver refused it (a 4xx but 408/429, or a 3xx): such refusals get only a few tries. */
  clientError?: boolean;
  /** When to try again; absent: the delivery has failed for good (410, attempts used up). */
  retryInMs?: number;
}

/** What the delivery workflow keeps in its memo (`delivery`) for the API: one list call shows all of a job's. */
export interface DeliveryState {
  jobId: string;
  event: NotifyEvent;
  webhookId: string;
  /** The receiver, without user:password. */
  url: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: string;
  failedAt?: string;
  nextAttemptAt?: string;
}

export const DELIVERY_MEMO_KEY = 'delivery';

/** The receiver as views and logs show it: no user:password, no query string (it may hold a token). */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1').replace(/[?#].*$/, '');
}
