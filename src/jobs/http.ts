import { z } from 'zod';
import { defineJobType } from './define';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const HttpJobInput = z
  .object({
    method: z.enum(HTTP_METHODS).default('POST'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    headers: z.record(z.string().min(1).max(256), z.string().max(8_192)).default({}),
    /** A string is sent as is; anything else as JSON. */
    body: z.unknown().optional(),
    timeoutMs: z.number().int().positive().max(600_000).default(30_000),
  })
  .strict();

export type HttpJobInput = z.infer<typeof HttpJobInput>;

export interface HttpJobResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the body was longer than the bound and was cut. */
  bodyTruncated: boolean;
  durationMs: number;
}

export const httpJob = defineJobType({
  type: 'http',
  description: 'Calls an HTTP endpoint. 2xx succeeds; 5xx, 429, timeouts and network errors are retried; other 4xx fail at once.',
  input: HttpJobInput,
  activity: 'callHttp',
  secrets: { headers: true },
  defaults: {
    maxAttempts: 8,
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 60_000, jitter: 0.2 },
    // The request timeout (input.timeoutMs, ≤ 10 min) decides; this only bounds a stuck attempt.
    attemptTimeoutMs: 11 * 60_000,
    heartbeatTimeoutMs: 15_000,
    nonRetryableErrorTypes: ['HttpClientError', 'TargetNotAllowed'],
  },
});
