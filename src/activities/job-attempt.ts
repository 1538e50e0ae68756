import { Context, CancelledFailure, ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import type { AttemptContext } from '../jobs/spec';
import type { AttemptOutcome } from '../workflows/job-state';
import { jitteredDelayMs } from './backoff';

/** Errors that carry their own minimum delay (e.g. an HTTP `Retry-After`). */
export interface DelayHint {
  retryAfterMs?: number;
}

/**
 * Wraps a job type's work as the activity the job workflow calls. It validates the input (a payload may be
 * old or come from the CLI), reports the attempt with the result, and turns every retryable error into an
 * ApplicationFailure whose `nextRetryDelay` is the jittered backoff: Temporal's retry policy has no jitter.
 */
export function jobAttempt<Schema extends z.ZodType, R>(
  schema: Schema,
  work: (input: z.output<Schema>, context: AttemptContext) => Promise<R>,
): (input: unknown, context: AttemptContext) => Promise<AttemptOutcome<R>> {
  return async (rawInput, context) => {
    const info = Context.current().info;
    const startedAt = new Date().toISOString();
    const parsed = schema.safeParse(rawInput);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
      throw ApplicationFailure.create({
        message: `invalid input: ${detail}`,
        type: 'InvalidInput',
        nonRetryable: true,
        details: [{ attempt: info.attempt }],
      });
    }
    try {
      const result = await work(parsed.data, context);
      return { result, attempt: info.attempt, startedAt };
    } catch (err) {
      throw asAttemptFailure(err, context, info.attempt);
    }
  };
}

function asAttemptFailure(err: unknown, context: AttemptContext, attempt: number): unknown {
  if (err instanceof CancelledFailure) return err;
  const details = [{ attempt }];
  if (err instanceof ApplicationFailure && err.nonRetryable) {
    return ApplicationFailure.create({ message: err.message, type: err.type ?? undefined, nonRetryable: true, details, cause: err.cause });
  }
  const type = err instanceof ApplicationFailure ? err.type ?? 'Error' : err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const hint = (err as DelayHint).retryAfterMs ?? 0;
  return ApplicationFailure.create({
    message,
    type,
    details,
    nextRetryDelay: Math.max(jitteredDelayMs(context.retry, attempt), hint),
  });
}
