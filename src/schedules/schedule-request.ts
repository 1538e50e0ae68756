import { z } from 'zod';

const DAY = 24 * 60 * 60_000;

/** Schedule ids appear in URL paths and in every run's job id, so they keep to URL-safe characters. */
export const ScheduleId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._~-]+$/, 'use 1-200 of A-Z a-z 0-9 . _ ~ -');

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

const CronExpression = z.string().trim().min(1).max(256);

/** Intl knows the IANA names; the server has the last word (it may reject a name Intl accepts, such as `utc`). */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((name) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone name, such as Europe/Paris or UTC');

/**
 * A job's own start time makes no sense in a schedule: the schedule decides when each run starts. Nor do
 * dependencies: every run would wait for the same jobs, which complete once.
 */
const NOT_IN_SCHEDULED_JOB: Record<string, string> = {
  runAt: 'not allowed in a scheduled job: the schedule decides when runs start',
  delayMs: 'not allowed in a scheduled job: the schedule decides when runs start',
  dependsOn: 'not allowed in a scheduled job: every run would wait for the same jobs',
};

/**
 * The body of `POST /v1/schedules`. `job` is the body of `POST /v1/jobs`, checked by prepareJob afterwards;
 * here only what a schedule forbids in it.
 */
export const CreateScheduleRequest = z
  .object({
    id: ScheduleId,
    cron: z.union([CronExpression, z.array(CronExpression).min(1).max(20)]).optional(),
    // The server keeps whole seconds only: refuse what it would silently round.
    intervalMs: z
      .number()
      .int()
      .min(1_000)
      .max(366 * DAY)
      .refine((ms) => ms < 1_000 || ms % 1_000 === 0, 'must be a whole number of seconds (a multiple of 1000)')
      .optional(),
    timezone: TimeZone.default('UTC'),
    job: z.unknown().superRefine((job, ctx) => {
      if (job === undefined) {
        ctx.addIssue({ code: 'custom', message: 'job is required' });
        return;
      }
      if (!job || typeof job !== 'object' || Array.isArray(job)) return;
      for (const [field, message] of Object.entries(NOT_IN_SCHEDULED_JOB)) {
        if (field in job) ctx.addIssue({ code: 'custom', path: [field], message });
      }
    }),
    overlap: z.enum(OVERLAP_POLICIES).default('skip'),
    paused: z.boolean().default(false),
    note: z.string().max(1_000).optional(),
  })
  .strict()
  .refine((r) => !(r.cron !== undefined && r.intervalMs !== undefined), {
    message: 'give cron or intervalMs, not both',
    path: ['intervalMs'],
  })
  .refine((r) => r.cron !== undefined || r.intervalMs !== undefined, {
    message: 'give cron or intervalMs',
    path: ['cron'],
  });

export type CreateScheduleRequest = z.infer<typeof CreateScheduleRequest>;

/** The optional body of pause and resume. */
export const ScheduleNoteRequest = z
  .object({ note: z.string().min(1).max(1_000).optional() })
  .strict()
  .optional();
