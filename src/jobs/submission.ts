import { z } from 'zod';
import { NotifyRequest } from '../webhooks/notify-request';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

/** How far ahead a job may be delayed, by `delayMs` or `runAt`. */
export const MAX_DELAY_MS = 365 * DAY;
export const MIN_HEARTBEAT_TIMEOUT_MS = 1_000;
/** A `runAt` before this is a typo or a clock problem, not a plan. */
const EARLIEST_RUN_AT = Date.UTC(2000, 0, 1);

/** An ISO time within [2000-01-01, now + 365 days]: a job may be delayed as far as `delayMs` allows, no further. */
const RunAt = z.iso.datetime({ offset: true }).superRefine((value, ctx) => {
  const at = Date.parse(value);
  if (at < EARLIEST_RUN_AT) ctx.addIssue({ code: 'custom', message: 'must be in the year 2000 or later' });
  else if (at > Date.now() + MAX_DELAY_MS) ctx.addIssue({ code: 'custom', message: 'must be at most 365 days ahead' });
});

export const RetryOverrides = z
  .object({
    initialIntervalMs: z.number().int().min(1).max(DAY).optional(),
    backoffCoefficient: z.number().min(1).max(100).optional(),
    maxIntervalMs: z.number().int().min(1).max(DAY).optional(),
    jitter: z.number().min(0).max(1).optional(),
  })
  .strict();

/** What a request may override of a job type's defaults (a job's, or a pipeline node's). */
export const JobOverrides = z.object({
  type: z.string().min(1).max(100),
  input: z.unknown(),
  priority: z.number().int().min(1).max(5).optional(),
  maxAttempts: z.number().int().min(1).max(1_000).optional(),
  retry: RetryOverrides.optional(),
  attemptTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(7 * DAY)
    .optional(),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(365 * DAY)
    .optional(),
  // 0 turns the heartbeat timeout off (run-job passes none); below a second every attempt would time out.
  heartbeatTimeoutMs: z
    .number()
    .int()
    .min(0)
    .max(DAY)
    .refine((ms) => ms === 0 || ms >= MIN_HEARTBEAT_TIMEOUT_MS, `must be 0 (none) or at least ${MIN_HEARTBEAT_TIMEOUT_MS}`)
    .optional(),
  metadata: z
    .record(z.string().min(1).max(64), z.string().max(1_024))
    .refine((m) => Object.keys(m).length <= 32, 'at most 32 entries')
    .optional(),
  notify: NotifyRequest.optional(),
});
export type JobOverrides = z.infer<typeof JobOverrides>;

/** A standalone job waits for at most this many others: one pending activity each, well inside Temporal's 2,000. */
export const MAX_DEPENDENCIES = 100;

/**
 * Ids of existing jobs that must complete first (their existence is checked at submission). A job id is a
 * workflow id, which Temporal caps at 1,000 characters.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]+$/;

export const DependsOn = z
  // Control characters never occur in a job id, and PostgreSQL visibility cannot look one up.
  .array(z.string().min(1).max(1_000).regex(NO_CONTROL_CHARACTERS, 'not a job id (control characters)'))
  .min(1)
  .max(MAX_DEPENDENCIES, `at most ${MAX_DEPENDENCIES} jobs`)
  .superRefine((ids, ctx) => {
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [index], message: `duplicate job id "${id}"` });
      seen.add(id);
    });
  })
  .meta({
    uniqueItems: true,
    description:
      'Ids of existing jobs that must complete first: the job is `waiting` until then, and fails if one of them does not complete',
  });

/** The body of `POST /v1/jobs`. `input` is checked against the job type's own schema afterwards. */
export const SubmitJobRequest = JobOverrides.extend({
  runAt: RunAt.optional(),
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
  dependsOn: DependsOn.optional(),
})
  .strict()
  .refine((r) => !(r.runAt !== undefined && r.delayMs !== undefined), {
    message: 'give runAt or delayMs, not both',
    path: ['runAt'],
  })
  .refine((r) => r.input !== undefined, { message: 'input is required', path: ['input'] });

export type SubmitJobRequest = z.infer<typeof SubmitJobRequest>;

/** Idempotency keys become part of the job id, so they keep to characters that are safe in a URL path. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._~-]+$/, 'use 1-200 of A-Z a-z 0-9 . _ ~ -');

export const CorrelationId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
