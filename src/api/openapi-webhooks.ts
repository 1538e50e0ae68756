import { NOTIFY_EVENTS } from '../webhooks/events';

// The webhook part of the OpenAPI document (src/api/openapi.ts): routes, the delivery shape, the job view's `notify`.

type JsonSchema = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

export const WEBHOOK_DELIVERY: JsonSchema = {
  type: 'object',
  required: ['event', 'webhookId', 'state', 'attempts'],
  properties: {
    jobId: { type: 'string', description: 'In the failures listing' },
    url: { type: 'string', description: 'In the failures listing: the receiver, without credentials or query' },
    event: { type: 'string', enum: [...NOTIFY_EVENTS] },
    webhookId: { type: 'string', description: 'The `webhook-id` header: `<job id>/webhook/<event>[-n]`, the same on every try' },
    state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    lastStatus: { type: 'integer', description: "The receiver's last HTTP status" },
    lastError: { type: 'string' },
    deliveredAt: { type: 'string', format: 'date-time' },
    failedAt: { type: 'string', format: 'date-time' },
    nextAttemptAt: { type: 'string', format: 'date-time' },
  },
};

/** `notify` in the job view: where, which events, and (GET /v1/jobs/{id}) the deliveries. */
export const JOB_VIEW_NOTIFY: JsonSchema = {
  type: 'object',
  description: 'The job\'s webhooks (README "Notifications")',
  properties: {
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string', enum: [...NOTIFY_EVENTS] } },
    deliveries: { type: 'array', items: ref('WebhookDelivery') },
  },
};

const webhookIdParam = {
  name: 'webhookId',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The webhook id (URL-encoded: it holds slashes)',
};

export const WEBHOOK_PATHS: Record<string, Record<string, JsonSchema>> = {
  '/v1/webhook-failures': {
    get: {
      summary: 'List webhook deliveries that failed for good (tries used up, or 410 Gone), newest first',
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        200: {
          description: 'A page of failed deliveries',
          content: json({
            type: 'object',
            required: ['failures'],
            properties: { failures: { type: 'array', items: ref('WebhookDelivery') }, nextCursor: { type: 'string' } },
          }),
        },
        400: problem('Bad cursor or limit'),
      },
    },
  },
  '/v1/webhook-failures/{webhookId}/redeliver': {
    post: {
      summary: 'Send a failed delivery again: same webhook-id and body, fresh tries',
      parameters: [webhookIdParam],
      responses: {
        202: { description: 'Redelivery requested', content: json(ref('WebhookDelivery')) },
        404: problem('No such delivery'),
        409: problem('Not failed (still being tried, or delivered), or no longer kept'),
      },
    },
  },
};
