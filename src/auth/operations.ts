import type { Role } from './principal';

/**
 * Every operation the API serves, by method and Express route path, with the role it needs. One table
 * answers three questions: who may call a route (the authorize middleware), how big its body may be, and
 * what the OpenAPI document says about it. A served route missing here is a start-up error
 * (assertEveryRouteListed), so a new route cannot go out unguarded.
 *
 * - `public`: no key at all (probes of load balancers and orchestrators);
 * - `body`: `submission` bodies may be as large as JOBLINE_BODY_LIMIT_BYTES (they carry a job's input),
 *   `control` bodies are small notes and options (CONTROL_BODY_LIMIT_BYTES), `none` for GET and DELETE;
 * - `submits`: the request starts work, so it counts against the key's submission rate (rateLimit).
 */
export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path exactly as the route is registered (`/v1/jobs/:id`). */
  path: string;
  role: Role | 'public';
  body: 'submission' | 'control' | 'none';
  submits?: true;
}

/** A cancel, discard, pause or bulk-retry body is a reason and a few options: a few KiB at most. */
export const CONTROL_BODY_LIMIT_BYTES = 16 * 1024;

const read = (path: string, role: Role | 'public' = 'reader'): Operation => ({ method: 'GET', path, role, body: 'none' });

export const OPERATIONS: readonly Operation[] = [
  read('/healthz', 'public'),
  read('/readyz', 'public'),
  // /openapi.json and /docs are open when JOBLINE_PUBLIC_DOCS is on (authenticate decides before this table).
  read('/openapi.json'),
  // /metrics is open when JOBLINE_PUBLIC_METRICS is on (the default: Prometheus scrapes without a key).
  read('/metrics'),
  read('/v1/job-types'),
  read('/v1/batch-handlers'),
  read('/v1/batch-queries'),
  read('/v1/reports'),

  read('/v1/jobs'),
  { method: 'POST', path: '/v1/jobs', role: 'submitter', body: 'submission', submits: true },
  read('/v1/jobs/:id'),
  read('/v1/jobs/:id/result'),
  // The live status stream (Server-Sent Events); `GET /v1/jobs/:id?wait=` is the row above.
  read('/v1/jobs/:id/events'),
  read('/v1/jobs/:id/artifacts'),
  read('/v1/jobs/:id/artifacts/:name'),
  read('/v1/jobs/:id/failed-items'),
  { method: 'POST', path: '/v1/jobs/:id/cancel', role: 'submitter', body: 'control' },
  { method: 'POST', path: '/v1/jobs/:id/retry-failed', role: 'operator', body: 'control', submits: true },

  read('/v1/dead-letters'),
  read('/v1/dead-letters/:id'),
  // A dead letter's retry may carry a corrected input: as large as a submission's.
  { method: 'POST', path: '/v1/dead-letters/:id/retry', role: 'operator', body: 'submission' },
  { method: 'POST', path: '/v1/dead-letters/:id/discard', role: 'operator', body: 'control' },
  { method: 'POST', path: '/v1/dead-letters/retry', role: 'operator', body: 'control' },

  read('/v1/schedules'),
  read('/v1/schedules/:id'),
  // A schedule holds the job it starts (type, input): its body is a submission's.
  { method: 'POST', path: '/v1/schedules', role: 'operator', body: 'submission' },
  { method: 'DELETE', path: '/v1/schedules/:id', role: 'operator', body: 'none' },
  { method: 'POST', path: '/v1/schedules/:id/pause', role: 'operator', body: 'control' },
  { method: 'POST', path: '/v1/schedules/:id/resume', role: 'operator', body: 'control' },
  { method: 'POST', path: '/v1/schedules/:id/trigger', role: 'operator', body: 'control', submits: true },

  // Webhook deliveries whose tries ran out, and sending one again.
  read('/v1/webhook-failures'),
  { method: 'POST', path: '/v1/webhook-failures/:webhookId/redeliver', role: 'operator', body: 'control' },

  // The codec server the Temporal Web UI calls (payload encryption): it decrypts inputs and results.
  { method: 'POST', path: '/codec/decode', role: 'operator', body: 'submission' },
  { method: 'POST', path: '/codec/encode', role: 'operator', body: 'submission' },
];

/** `POST /v1/jobs/:id` → `post /v1/jobs/{id}`: the OpenAPI spelling of an operation. */
export function openApiKey(method: string, path: string): string {
  return `${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`;
}

const BY_OPENAPI_KEY = new Map(OPERATIONS.map((operation) => [openApiKey(operation.method, operation.path), operation]));

/** The operation of an OpenAPI method and path (`get`, `/v1/jobs/{id}`); undefined when the table lacks it. */
export function operationFor(method: string, openApiPath: string): Operation | undefined {
  return BY_OPENAPI_KEY.get(`${method.toLowerCase()} ${openApiPath}`);
}

/** The sentence the OpenAPI document adds to an operation's description. */
export function roleSentence(operation: Operation): string {
  if (operation.role === 'public') return 'Open: needs no API key.';
  if (operation.role === 'reader') return 'Needs an API key of any role (reader or above).';
  return `Needs an API key with the role ${operation.role} or above.`;
}
