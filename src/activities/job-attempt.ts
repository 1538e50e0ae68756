import { Context, CancelledFailure, ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import type { JobTypeDefinition } from '../jobs/define';
import { scrubSecrets, secretValues, type SecretsDeclaration } from '../jobs/redact';
import type { AttemptContext } from '../jobs/spec';
import type { AttemptOutcome } from '../workflows/job-state';
import { jitteredDelayMs } from '../jobs/backoff';

/** Errors that carry their own minimum delay (e.g. an HTTP `Retry-After`). */
export interface DelayHint {
  retryAfterMs?: number;
}

/**
 * Wraps a job type's work as the activity the job workflow calls. It validates the input (a payload may be
 * old or come from the CLI), reports the attempt with the result, and turns every retryable error into an
 * ApplicationFailure whose `nextRetryDelay` is the jittered backoff: Temporal's retry policy has no jitter.
 *
 * The failure's message reaches the job's views, its dead-letter history and the worker's log, so every
 * secret of the input (a target may echo a header back in its error body) is scrubbed from it. Without a
 * `declaration`, every field named like a credential header (Authorization, Cookie, …) counts as secret.
 */
export function jobAttempt<Schema extends z.ZodType, R>(
  schema: Schema,
  work: (input: z.output<Schema>, context: AttemptContext) => Promise<R>,
  declaration?: SecretsDeclaration,
): (input: unknown, context: AttemptContext) => Promise<AttemptOutcome<R>> {
  return async (rawInput, context) => {
    const info = Context.current().info;
    const startedAt = new Date().toISOString();
    const scrub = (text: string) => scrubSecrets(text, secretValues(declaration, rawInput));
    const parsed = schema.safeParse(rawInput);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
      throw ApplicationFailure.create({
        message: scrub(`invalid input: ${detail}`),
        type: 'InvalidInput',
        nonRetryable: true,
        details: [{ attempt: info.attempt }],
      });
    }
    try {
      const result = await work(parsed.data, context);
      return { result, attempt: info.attempt, startedAt };
    } catch (err) {
      throw asAttemptFailure(err, context, info.attempt, scrub);
    }
  };
}

type AttemptActivity<R> = (input: unknown, context: AttemptContext) => Promise<AttemptOutcome<R>>;

/**
 * The activity of a job type, built from its declaration: the name the workflow calls (`jobType.activity`),
 * the schema that checks the input and the secrets to scrub all come from it, so a declaration and its work
 * meet through a value and a mismatch fails to compile.
 */
export function jobActivity<Schema extends z.ZodType, Activity extends string, R>(
  jobType: JobTypeDefinition<Schema, Activity> & { activity: Activity },
  work: (input: z.output<Schema>, context: AttemptContext) => Promise<R>,
): Record<Activity, AttemptActivity<R>> {
  return { [jobType.activity]: jobAttempt(jobType.input, work, jobType) } as Record<Activity, AttemptActivity<R>>;
}

function asAttemptFailure(err: unknown, context: AttemptContext, attempt: number, scrub: (text: string) => string): unknown {
  if (err instanceof CancelledFailure) return err;
  const details = [{ attempt }];
  if (err instanceof ApplicationFailure && err.nonRetryable) {
    const cause = err.cause && scrubbedError(err.cause, scrub);
    return ApplicationFailure.create({ message: scrub(err.message), type: err.type ?? undefined, nonRetryable: true, details, cause });
  }
  const type = err instanceof ApplicationFailure ? (err.type ?? 'Error') : err instanceof Error ? err.name : 'Error';
  const message = scrub(err instanceof Error ? err.message : String(err));
  const hint = (err as DelayHint).retryAfterMs ?? 0;
  return ApplicationFailure.create({
    message,
    type,
    details,
    nextRetryDelay: Math.max(jitteredDelayMs(context.retry, attempt), hint),
  });
}

/** A cause travels with its message and stack (which repeats the message): both scrubbed. */
function scrubbedError(err: Error, scrub: (text: string) => string): Error {
  const copy = new Error(scrub(err.message));
  copy.name = err.name;
  copy.stack = err.stack === undefined ? undefined : scrub(err.stack);
  return copy;
}
