import type { z } from 'zod';
import type { KindView } from './kind-view';
import type { JobWorkflowName } from './workflow-names';
import type { AdmissionIssue, SourceAccess } from './admission';
import type { RetrySettings } from './spec';
import { DEFAULT_RESOURCE_CLASS, type ResourceClass } from './resource-classes';

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

/**
 * Which parts of a job's input carry credentials. Every view, error and log line shows them as
 * "[redacted]" (see `redact.ts`); the job itself still gets and sends the real values.
 */
export interface SecretFields {
  /**
   * Header records (name → value) whose credential headers are secret: SECRET_HEADER_NAMES plus
   * `secretHeaders`, in any case. `true` means `input.headers`; otherwise paths to such records.
   */
  headers?: true | readonly string[];
  /** Header names, beyond SECRET_HEADER_NAMES, that carry credentials for this job type (e.g. `x-signature`). */
  secretHeaders?: readonly string[];
  /** Fields that are secret whole (a token, a password): dot-separated paths, `*` for any key or index. */
  paths?: readonly string[];
  /**
   * Inputs of other declarations inside this one (a batch's handler input, a pipeline node's input), each
   * redacted by its own declaration; an unknown one (`declaration: undefined`) hides every credential header in it.
   */
  nested?: (input: unknown) => readonly NestedSecrets[];
}

export interface NestedSecrets {
  path: ReadonlyArray<string | number>;
  /** The job type or batch handler the value at `path` is the input of. */
  declaration: { secrets?: SecretFields } | undefined;
}

export interface JobTypeDefinition<Schema extends z.ZodType = z.ZodType, Activity extends string = string> {
  /** The name clients submit as `type`. */
  type: string;
  description: string;
  input: Schema;
  /**
   * The name of the activity that does the work, for jobs run by `runJob`. The worker registers it from this
   * declaration (`jobActivity(jobType, work)`), so the name and the schema are written once.
   */
  activity?: Activity;
  /** The workflow that runs the job: `runJob` (the default: one activity under a retry policy) or a composite one. */
  workflow?: JobWorkflowName;
  defaults: JobDefaults;
  /**
   * Checks that need the deployment, not just the schema: files and tables the input names. Run by the API
   * after the schema (its issues are 400s); the worker checks the same things again when it opens them.
   */
  admit?(input: z.output<Schema>, access: SourceAccess): Promise<AdmissionIssue[]>;
  /** The input's secret fields; absent when it has none. */
  secrets?: SecretFields;
  /** A composite kind's part of its jobs' views (a batch's progress, a pipeline's nodes). */
  view?: KindView;
  /**
   * The worker pool its activities run on (src/jobs/resource-classes.ts); a function when the input decides
   * (a batch runs on its handler's class). Absent: `default`.
   */
  resourceClass?: ResourceClass | ClassOfInput<z.output<Schema>>;
}

/** A method type, so that a declaration over its own input still counts as one over `unknown` (as `admit` does). */
type ClassOfInput<Input> = { of(input: Input): ResourceClass }['of'];

export const BASE_DEFAULTS: JobDefaults = {
  maxAttempts: 5,
  retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 60_000, jitter: 0.2 },
  attemptTimeoutMs: 60_000,
  timeoutMs: 60 * 60_000,
  heartbeatTimeoutMs: 30_000,
  priority: 3,
  nonRetryableErrorTypes: [],
};

/** Declares a job type in one place: name, input schema, the activity that runs it, its defaults and its secret fields. */
export function defineJobType<Schema extends z.ZodType, const Activity extends string = string>(definition: {
  type: string;
  description: string;
  input: Schema;
  activity?: Activity;
  workflow?: JobWorkflowName;
  admit?(input: z.output<Schema>, access: SourceAccess): Promise<AdmissionIssue[]>;
  secrets?: SecretFields;
  view?: KindView;
  resourceClass?: ResourceClass | ClassOfInput<z.output<Schema>>;
  defaults?: Partial<Omit<JobDefaults, 'retry'>> & { retry?: Partial<RetrySettings> };
}): DeclaredJobType<Schema, Activity> {
  const { defaults = {}, ...rest } = definition;
  return {
    ...rest,
    defaults: { ...BASE_DEFAULTS, ...defaults, retry: { ...BASE_DEFAULTS.retry, ...defaults.retry } },
  } as DeclaredJobType<Schema, Activity>;
}

/** A declaration that names its activity carries the name as a literal type, for `jobActivity`. */
export type DeclaredJobType<Schema extends z.ZodType, Activity extends string> = string extends Activity
  ? JobTypeDefinition<Schema>
  : JobTypeDefinition<Schema, Activity> & { activity: Activity };

/** The class a job of this type and input runs its activities on. */
export function resourceClassOf(jobType: Pick<JobTypeDefinition, 'resourceClass'>, input: unknown): ResourceClass {
  const declared = jobType.resourceClass;
  return (typeof declared === 'function' ? declared(input) : declared) ?? DEFAULT_RESOURCE_CLASS;
}
