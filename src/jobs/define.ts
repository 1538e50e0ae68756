import type { z } from 'zod';
import type { AdmissionIssue, SourceAccess } from './admission';
import type { RetrySettings } from './spec';

/** Defaults a job type gives every job; a request may override most of them. */
export interface JobDefaults {
  maxAttempts: number;
  retry: RetrySettings;
  attemptTimeoutMs: number;
  timeoutMs: number;
  heartbeatTimeoutMs: number;
  priority: number;
  /** Error types (ApplicationFailure `type`) that fail at once, whatever attempts remain. */
  nonRetryableErrorTypes: string[];
}

export interface JobTypeDefinition<Schema extends z.ZodType = z.ZodType> {
  /** The name clients submit as `type`. */
  type: string;
  description: string;
  input: Schema;
  /** The name of the activity (from `createActivities`) that does the work, for jobs run by `runJob`. */
  activity?: string;
  /** The workflow that runs the job: `runJob` (the default: one activity under a retry policy) or a composite one. */
  workflow?: string;
  defaults: JobDefaults;
  /**
   * Checks that need the deployment, not just the schema: files and tables the input names. Run by the API
   * after the schema (its issues are 400s); the worker checks the same things again when it opens them.
   */
  admit?(input: z.output<Schema>, access: SourceAccess): Promise<AdmissionIssue[]>;
}

export const BASE_DEFAULTS: JobDefaults = {
  maxAttempts: 5,
  retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 60_000, jitter: 0.2 },
  attemptTimeoutMs: 60_000,
  timeoutMs: 60 * 60_000,
  heartbeatTimeoutMs: 30_000,
  priority: 3,
  nonRetryableErrorTypes: [],
};

/** Declares a job type in one place: name, input schema, the activity that runs it and its defaults. */
export function defineJobType<Schema extends z.ZodType>(definition: {
  type: string;
  description: string;
  input: Schema;
  activity?: string;
  workflow?: string;
  admit?(input: z.output<Schema>, access: SourceAccess): Promise<AdmissionIssue[]>;
  defaults?: Partial<Omit<JobDefaults, 'retry'>> & { retry?: Partial<RetrySettings> };
}): JobTypeDefinition<Schema> {
  const { defaults = {}, ...rest } = definition;
  return {
    ...rest,
    defaults: { ...BASE_DEFAULTS, ...defaults, retry: { ...BASE_DEFAULTS.retry, ...defaults.retry } },
  };
}
