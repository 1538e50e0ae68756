import { z } from 'zod';
import { TENANT_PATTERN } from '../auth/principal';
import { JOB_TYPES } from '../jobs';
import { SubmitJobRequest } from '../jobs/submission';
import { CreateScheduleRequest, ScheduleNoteRequest } from '../schedules/schedule-request';
import { JOB_STATUSES } from '../jobs/status';
import { operationFor, roleSentence, type Operation } from '../auth/operations';
import { BulkRetryBody, DiscardDeadLetterBody, RetryDeadLetterBody } from './dead-letters';
import { JOB_VIEW_NOTIFY, WEBHOOK_DELIVERY, WEBHOOK_PATHS } from './openapi-webhooks';

type JsonSchema = Record<string, unknown>;

/** JSON Schema of what a client sends (defaults optional), as OpenAPI 3.1 embeds it. */
export function requestSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const scheduleParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The schedule id' };
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The job id (= the Temporal workflow id)',
};

const tenantParam = {
  name: 'tenant',
  in: 'query',
  schema: { type: 'string', pattern: TENANT_PATTERN.source },
  description: "An admin key's filter by tenant; any other key lists its own tenant only (another tenant: an empty list)",
};

const JOB_VIEW: JsonSchema = {
  type: 'object',
  required: ['id', 'type', 'status', 'attempts', 'maxAttempts', 'priority', 'correlationId', 'metadata', 'createdAt', 'links'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    attempts: { type: 'integer', description: 'Attempts in the current round (a retry from the dead letters starts a new round)' },
    maxAttempts: { type: 'integer' },
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    correlationId: { type: 'string' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
    scheduledFor: { type: 'string', format: 'date-time' },
    dependsOn: { type: 'array', items: { type: 'string' }, description: 'The jobs this one waits for (status `waiting`) before it runs' },
    startedAt: { type: 'string', format: 'date-time', description: 'Start of the current (or last) attempt' },
    completedAt: { type: 'string', format: 'date-time' },
    nextAttemptAt: { type: 'string', format: 'date-time' },
    lastError: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        message: { type: 'string' },
        attempt: { type: 'integer' },
        timeout: { type: 'string', enum: ['attempt', 'heartbeat', 'overall'] },
      },
    },
    progress: {
      type: 'object',
      properties: {
        done: { type: 'number' },
        total: { type: 'number' },
        unit: { type: 'string' },
        percent: { type: 'number' },
        succeeded: { type: 'number', description: 'Batches: items that succeeded' },
        failed: { type: 'number', description: 'Batches: items that failed (listed by /failed-items)' },
        itemsPerSecond: { type: 'number', description: "Batches: the current round's rate" },
      },
    },
    batch: {
      type: 'object',
      description: 'Batches: the round (1 + retries of failed items), the runs its history took (continue-as-new), chunks running now',
      properties: { round: { type: 'integer' }, runs: { type: 'integer' }, runningChunks: { type: 'integer' } },
    },
    nodes: {
      type: 'array',
      description: 'Pipelines: every node with its status and job id',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          jobId: { type: 'string' },
          status: { type: 'string', enum: ['waiting', 'running', 'dead_lettered', 'completed', 'failed', 'skipped', 'cancelled'] },
          dependsOn: { type: 'array', items: { type: 'string' } },
          error: { type: 'string' },
        },
      },
    },
    result: { description: 'The job result, once completed' },
    notify: JOB_VIEW_NOTIFY,
    links: {
      type: 'object',
      properties: { self: { type: 'string' }, result: { type: 'string' }, webUi: { type: 'string' } },
    },
  },
};

/**
 * Every operation gets an `operationId` (generated clients name their methods after it), derived from its
 * method and path where none is given: `get /v1/jobs/{id}/artifacts` → `getJobByIdArtifacts`.
 */
function withOperationIds(paths: Record<string, Record<string, JsonSchema>>): Record<string, Record<string, JsonSchema>> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => [method, { operationId: operationIdOf(method, path), ...operation }]),
      ),
    ]),
  );
}

const rateHeaders = {
  RateLimit: { $ref: '#/components/headers/RateLimit' },
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
};

/**
 * Who may call each operation, from the same table the authorize middleware reads (src/auth/operations.ts):
 * `security`, `x-required-role`, a sentence in the description, and the 401/403/429 answers. A documented
 * operation missing from the table is an error here, as a served one is at start-up.
 */
function withAccess(paths: Record<string, Record<string, JsonSchema>>): Record<string, Record<string, JsonSchema>> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => {
          const access = operationFor(method, path);
          if (!access) throw new Error(`${method.toUpperCase()} ${path} is documented but missing from src/auth/operations.ts`);
          return [method, { ...operation, ...accessOf(access, operation) }];
        }),
      ),
    ]),
  );
}

function accessOf(access: Operation, operation: JsonSchema): JsonSchema {
  const description = [operation.description, roleSentence(access)].filter(Boolean).join('\n\n');
  if (access.role === 'public') return { security: [], 'x-required-role': 'public', description };
  const responses = { ...(operation.responses as JsonSchema) };
  responses[401] = problem('No API key, or not a valid one (WWW-Authenticate: Bearer)');
  if (access.role !== 'reader') responses[403] = problem(`The key's role is below ${access.role}`);
  if (access.submits) {
    responses[429] = {
      ...problem("Over the key's submission rate: nothing was started; retry after Retry-After seconds"),
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' }, ...rateHeaders },
    };
    // Accepted submissions of a rate-limited key say what is left.
    for (const status of Object.keys(responses).filter((code) => code.startsWith('2'))) {
      responses[status] = {
        ...(responses[status] as JsonSchema),
        headers: { ...((responses[status] as JsonSchema).headers as JsonSchema), ...rateHeaders },
      };
    }
  }
  return { security: [{ bearerAuth: [] }], 'x-required-role': access.role, description, responses };
}

function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/^\/v1\//, '/')
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const word = param ? `by-${param[1]}` : segment.replace(/\.json$/, '');
      return word
        .split(/[-_.]/)
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join('');
    });
  return `${method}${words.join('')}`;
}

/** The OpenAPI document, generated from the same zod schemas that validate requests; new job types appear by themselves. */
export function openApiDocument(): JsonSchema {
  const jobTypeSchemas = Object.fromEntries(
    JOB_TYPES.map((jobType) => [
      `Submit_${jobType.type}`,
      {
        ...requestSchema(SubmitJobRequest),
        description: jobType.description,
        properties: {
          ...(requestSchema(SubmitJobRequest).properties as JsonSchema),
          type: { const: jobType.type },
          input: requestSchema(jobType.input),
        },
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jobline',
      version: '1',
      description: 'Durable background jobs over HTTP, on Temporal. Every error is application/problem+json.',
    },
    security: [{ bearerAuth: [] }],
    paths: withAccess(
      withOperationIds({
        '/v1/jobs': {
          post: {
            summary: 'Submit a job',
            parameters: [
              { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,200}$' } },
              { name: 'X-Correlation-Id', in: 'header', schema: { type: 'string', maxLength: 128 } },
            ],
            requestBody: { required: true, content: json({ oneOf: JOB_TYPES.map((t) => ref(`Submit_${t.type}`)) }) },
            responses: {
              202: { description: 'Accepted; Location names the job', content: json(ref('Job')) },
              200: { description: 'The job this Idempotency-Key already started', content: json(ref('Job')) },
              400: problem('Invalid request (the failing fields are listed)'),
              409: problem('The Idempotency-Key was used for a different request'),
              413: problem('Body too large'),
              415: problem('Body is not JSON'),
            },
          },
          get: {
            summary: 'List jobs (newest first)',
            parameters: [
              { name: 'type', in: 'query', schema: { type: 'string' } },
              { name: 'status', in: 'query', schema: { type: 'string', enum: [...JOB_STATUSES] } },
              tenantParam,
              { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
              { name: 'cursor', in: 'query', schema: { type: 'string' } },
            ],
            responses: { 200: { description: 'A page of jobs', content: json(ref('JobPage')) }, 400: problem('Bad filter') },
          },
        },
        '/v1/jobs/{id}': {
          get: {
            summary: 'A job',
            description:
              'With `wait` (or `Prefer: wait=<seconds>`): answers as soon as the job changes status, or when the wait ends (a long poll for clients that cannot use the event stream).',
            parameters: [
              idParam,
              {
                name: 'wait',
                in: 'query',
                description: 'How long to wait for a status change: seconds (`30`, `30s`) or `500ms`; 0–60 s',
                schema: { type: 'string', pattern: '^\\d{1,6}(\\.\\d{1,3})?(ms|s)?$' },
              },
              {
                name: 'Prefer',
                in: 'header',
                description: '`wait=<seconds>` (RFC 7240), when `wait` is not given',
                schema: { type: 'string' },
              },
            ],
            responses: {
              200: { description: 'The job', content: json(ref('Job')) },
              400: problem('A wait that is not a duration of 0–60 s'),
              404: problem('No such job'),
            },
          },
        },
        '/v1/jobs/{id}/events': {
          get: {
            summary: "A job's live status (Server-Sent Events)",
            description:
              'Events `status` ({status, attempt, at}) for each transition, `progress` ({done, total?, unit?, percent?, at}) at most once per poll period, then `end` (the job as GET /v1/jobs/{id} shows it), after which the stream closes. Every event has an `id`; reconnecting with `Last-Event-ID` resumes exactly after it. A comment line (`: keep-alive`) is sent while idle.',
            parameters: [
              idParam,
              { name: 'Last-Event-ID', in: 'header', description: 'The id of the last event received', schema: { type: 'string' } },
            ],
            responses: {
              200: { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
              204: { description: 'Nothing follows the given Last-Event-ID: the job ended (an EventSource stops reconnecting)' },
              400: problem('A Last-Event-ID this stream never sent'),
              404: problem('No such job'),
            },
          },
        },
        '/v1/jobs/{id}/result': {
          get: {
            summary: "A completed job's result",
            parameters: [idParam],
            responses: {
              200: { description: 'The result', content: json({ type: 'object' }) },
              404: problem('No such job'),
              409: problem('Not completed'),
            },
          },
        },
        '/v1/jobs/{id}/cancel': {
          post: {
            summary: 'Cancel a job (the running attempt is cancelled through its heartbeat)',
            parameters: [idParam],
            responses: {
              202: { description: 'Cancellation requested', content: json(ref('Job')) },
              404: problem('No such job'),
              409: problem('Already finished'),
            },
          },
        },
        '/v1/jobs/{id}/retry-failed': {
          post: {
            summary: 'Batches: re-run only the failed items (a completed batch starts a new round; a dead-lettered one resumes)',
            parameters: [idParam],
            responses: {
              202: { description: 'The batch, running its failed items again', content: json(ref('Job')) },
              404: problem('No such job'),
              409: problem('Not a batch, still running, or no failed items'),
            },
          },
        },
        '/v1/jobs/{id}/failed-items': {
          get: {
            summary: "Batches: the failed items of each chunk's latest run, with their errors, by chunk",
            parameters: [
              idParam,
              { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
              { name: 'cursor', in: 'query', schema: { type: 'string' } },
            ],
            responses: {
              200: { description: 'A page of failed items', content: json(ref('FailedItemsPage')) },
              404: problem('No such job'),
              409: problem('Not a batch'),
            },
          },
        },
        '/v1/batch-handlers': {
          get: {
            summary: 'The per-item handlers a batch may name, with the schemas of handlerInput and of an item',
            responses: { 200: { description: 'Handlers', content: json({ type: 'object' }) } },
          },
        },
        '/v1/batch-queries': {
          get: {
            summary: 'The named PostgreSQL queries a batch source may name, with their parameter schemas',
            responses: { 200: { description: 'Queries', content: json({ type: 'object' }) } },
          },
        },
        '/v1/dead-letters': {
          get: {
            summary: 'List dead-lettered jobs',
            parameters: [
              { name: 'type', in: 'query', schema: { type: 'string' } },
              tenantParam,
              { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
              { name: 'cursor', in: 'query', schema: { type: 'string' } },
            ],
            responses: { 200: { description: 'A page of dead letters', content: json(ref('JobPage')) } },
          },
        },
        '/v1/dead-letters/retry': {
          post: {
            summary: 'Retry dead letters in bulk (optionally of one type)',
            requestBody: { required: true, content: json(requestSchema(BulkRetryBody)) },
            responses: {
              202: {
                description: 'The ids signalled',
                content: json({ type: 'object', properties: { retried: { type: 'array', items: { type: 'string' } } } }),
              },
            },
          },
        },
        '/v1/dead-letters/{id}': {
          get: {
            summary: 'Inspect a dead letter: input, error and the history of its failures',
            parameters: [idParam],
            responses: {
              200: { description: 'The dead letter', content: json(ref('Job')) },
              404: problem('No such job'),
              409: problem('Not dead-lettered'),
            },
          },
        },
        '/v1/dead-letters/{id}/retry': {
          post: {
            summary: 'Run a dead letter again with fresh attempts, optionally with a corrected input',
            parameters: [idParam],
            requestBody: { required: false, content: json(requestSchema(RetryDeadLetterBody)) },
            responses: {
              202: { description: 'Retry requested', content: json(ref('Job')) },
              400: problem('Invalid input'),
              404: problem('No such job'),
              409: problem('Not dead-lettered'),
            },
          },
        },
        '/v1/dead-letters/{id}/discard': {
          post: {
            summary: 'Discard a dead letter: it ends as failed',
            parameters: [idParam],
            requestBody: { required: false, content: json(requestSchema(DiscardDeadLetterBody)) },
            responses: {
              202: { description: 'Discard requested', content: json(ref('Job')) },
              404: problem('No such job'),
              409: problem('Not dead-lettered'),
            },
          },
        },
        '/v1/schedules': {
          post: {
            summary: 'Create a recurring job (a Temporal Schedule); each run is an ordinary job',
            requestBody: { required: true, content: json(requestSchema(CreateScheduleRequest)) },
            responses: {
              201: { description: 'Created', content: json(ref('Schedule')) },
              400: problem('Invalid request'),
              409: problem('The id exists'),
            },
          },
          get: {
            summary: "List Jobline's schedules",
            parameters: [tenantParam],
            responses: {
              200: {
                description: 'Schedules',
                content: json({ type: 'object', properties: { schedules: { type: 'array', items: ref('Schedule') } } }),
              },
            },
          },
        },
        '/v1/schedules/{id}': {
          get: {
            summary: 'A schedule with its next and recent runs',
            parameters: [scheduleParam],
            responses: { 200: { description: 'The schedule', content: json(ref('Schedule')) }, 404: problem('No such schedule') },
          },
          delete: {
            summary: 'Delete a schedule (started runs go on)',
            parameters: [scheduleParam],
            responses: { 204: { description: 'Deleted' }, 404: problem('No such schedule') },
          },
        },
        ...Object.fromEntries(
          (['pause', 'resume', 'trigger'] as const).map((action) => [
            `/v1/schedules/{id}/${action}`,
            {
              post: {
                summary:
                  action === 'trigger'
                    ? 'Run now (the overlap policy applies)'
                    : `${action[0]!.toUpperCase()}${action.slice(1)} a schedule`,
                parameters: [scheduleParam],
                requestBody: { required: false, content: json(requestSchema(ScheduleNoteRequest)) },
                responses: {
                  [action === 'trigger' ? 202 : 200]: { description: 'The schedule', content: json(ref('Schedule')) },
                  404: problem('No such schedule'),
                },
              },
            },
          ]),
        ),
        '/v1/job-types': {
          get: {
            summary: 'The job types, their input schemas and defaults',
            responses: { 200: { description: 'Job types', content: json({ type: 'object' }) } },
          },
        },
        '/v1/reports': {
          get: {
            summary: 'The named report definitions with their parameter schemas',
            responses: {
              200: {
                description: 'Report definitions',
                content: json({
                  type: 'object',
                  properties: {
                    reports: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { name: { type: 'string' }, description: { type: 'string' }, params: { type: 'object' } },
                      },
                    },
                  },
                }),
              },
            },
          },
        },
        '/v1/jobs/{id}/artifacts': {
          get: {
            summary: "A job's artifacts (from the artifact store; they outlive the job's retention)",
            parameters: [idParam],
            responses: {
              200: {
                description: 'The artifacts with download links',
                content: json({
                  type: 'object',
                  properties: { jobId: { type: 'string' }, artifacts: { type: 'array', items: ref('Artifact') } },
                }),
              },
              404: problem('No such job'),
            },
          },
        },
        '/v1/jobs/{id}/artifacts/{name}': {
          get: {
            summary: 'Download one artifact (Range requests supported)',
            parameters: [
              idParam,
              { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'The artifact name' },
              { name: 'Range', in: 'header', schema: { type: 'string' } },
            ],
            responses: {
              200: {
                description: 'The artifact',
                content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
              },
              206: { description: 'The requested byte range' },
              404: problem('No such job or artifact'),
              416: problem('The range is outside the artifact'),
            },
          },
        },
        ...Object.fromEntries(
          (['decode', 'encode'] as const).map((direction) => [
            `/codec/${direction}`,
            {
              post: {
                summary: direction === 'decode' ? 'Codec server: decrypt payloads (the Web UI calls it)' : 'Codec server: encrypt payloads',
                description:
                  "Temporal's codec-server protocol; CORS for the Web UI's origin. Needs the operator role when auth is on; 404 unless JOBLINE_ENCRYPTION_KEYS is set.",
                parameters: [{ name: 'X-Namespace', in: 'header', schema: { type: 'string' } }],
                requestBody: { required: true, content: json(ref('CodecPayloads')) },
                responses: {
                  200: {
                    description: direction === 'decode' ? 'The payloads, decrypted' : 'The payloads, encrypted',
                    content: json(ref('CodecPayloads')),
                  },
                  400: problem('Not codec JSON, or a payload that does not decrypt'),
                  403: problem('The key does not have the operator role, or a foreign Origin'),
                  404: problem('Payload encryption is off'),
                },
              },
            },
          ]),
        ),
        '/openapi.json': {
          get: {
            summary: 'This document',
            description: 'Open, with /docs, while JOBLINE_PUBLIC_DOCS is on (the default).',
            responses: { 200: { description: 'The OpenAPI 3.1 document', content: json({ type: 'object' }) } },
          },
        },
        '/metrics': {
          get: {
            summary: 'Prometheus metrics of this API process (README "Observability" lists the series)',
            responses: {
              200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
            },
          },
        },
        ...WEBHOOK_PATHS,
        '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'Serving' } } } },
        '/readyz': {
          get: {
            summary: 'Readiness: Temporal answers',
            responses: { 200: { description: 'Ready' }, 503: problem('Temporal unavailable') },
          },
        },
      }),
    ),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'jlk_<key id>.<secret>',
          description:
            'An API key from the key file (JOBLINE_API_KEYS_FILE; `npm run apikey` makes one). Roles, each allowing what the ones ' +
            'before it allow: reader (GET), submitter (+ submit and cancel jobs), operator (+ dead letters, retry-failed, schedules), ' +
            'admin (every tenant). Without a key file on loopback the API is open and every caller is admin.',
        },
      },
      headers: {
        RateLimit: {
          description: 'draft-ietf-httpapi-ratelimit-headers: submissions left (r) and seconds until the window resets (t)',
          schema: { type: 'string', examples: ['"submit";r=7;t=42'] },
        },
        'RateLimit-Policy': {
          description: "draft-ietf-httpapi-ratelimit-headers: the key's quota (q) per window of w seconds",
          schema: { type: 'string', examples: ['"submit";q=10;w=60'] },
        },
      },
      schemas: {
        ...jobTypeSchemas,
        Job: JOB_VIEW,
        WebhookDelivery: WEBHOOK_DELIVERY,
        Artifact: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            contentType: { type: 'string' },
            size: { type: 'integer' },
            sha256: { type: 'string' },
            created: { type: 'string', format: 'date-time' },
            links: { type: 'object', properties: { download: { type: 'string' } } },
          },
        },
        Schedule: {
          type: 'object',
          description: 'id, spec (cron/interval/timezone), job, overlap, paused, note, nextRunAt(s), recentRuns, createdAt',
          properties: { id: { type: 'string' }, paused: { type: 'boolean' }, overlap: { type: 'string' } },
        },
        FailedItemsPage: {
          type: 'object',
          required: ['jobId', 'failed', 'items'],
          properties: {
            jobId: { type: 'string' },
            failed: { type: 'integer', description: 'Failed items in the whole batch' },
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  chunk: { type: 'integer' },
                  round: { type: 'integer' },
                  position: { type: 'integer' },
                  key: { type: 'string' },
                  error: { type: 'string' },
                },
              },
            },
            nextCursor: { type: 'string' },
          },
        },
        JobPage: {
          type: 'object',
          required: ['jobs'],
          properties: { jobs: { type: 'array', items: ref('Job') }, nextCursor: { type: 'string' } },
        },
        CodecPayloads: {
          type: 'object',
          required: ['payloads'],
          properties: {
            payloads: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  metadata: { type: 'object', additionalProperties: { type: 'string', contentEncoding: 'base64' } },
                  data: { type: 'string', contentEncoding: 'base64' },
                },
              },
            },
          },
        },
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
