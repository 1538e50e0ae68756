// Types only: imported by workflow code, so nothing here may pull in Node APIs or zod at run time.
import type { NotifySpec } from '../webhooks/events';

export interface RetrySettings {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  /**
   * 0…1: each delay is the exponential delay minus up to this fraction of it, drawn at random
   * (0 = none, 1 = "full jitter"). Delays never exceed the exponential curve, so maxIntervalMs holds.
   */
  jitter: number;
}

/** Everything the generic job workflow needs, resolved once at the edge (type defaults + request overrides). */
export interface JobSpec {
  id: string;
  type: string;
  /** The activity that does the work (from the job type); empty for composite jobs such as pipelines. */
  activity: string;
  input: unknown;
  /** 1 (highest) … 5 (lowest). */
  priority: number;
  maxAttempts: number;
  retry: RetrySettings;
  nonRetryableErrorTypes: string[];
  attemptTimeoutMs: number;
  timeoutMs: number;
  heartbeatTimeoutMs: number;
  /** ISO time; the job starts no earlier. */
  runAt?: string;
  metadata: Record<string, string>;
  correlationId: string;
  createdAt: string;
  /**
   * The tenant that owns the job (the submitting key's). Absent in jobs from before tenants: those belong to
   * the default tenant, and their replays must issue exactly the commands they did.
   */
  tenant?: string;
  /** Ids of existing jobs this job waits for (`dependsOn` of a standalone job); absent when there are none. */
  dependsOn?: string[];
  /** For a pipeline node: the results of the nodes it depends on, by node id. */
  dependencies?: Record<string, unknown>;
  /** What the workflow writes (`LIFECYCLE_REVISION` in jobs/status.ts); absent in specs from before revision 2. */
  lifecycleRevision?: number;
  /** Webhooks for this job's events (README "Notifications"); absent in every spec from before them. */
  notify?: NotifySpec;
  /**
   * The resource class whose task queue runs the job's activities (src/jobs/resource-classes.ts). Absent in
   * specs from before classes: their activities run on the workflow's own queue, as they always did.
   */
  resourceClass?: string;
}

/** The second argument of every job activity: who is running and how to retry. */
export interface AttemptContext {
  jobId: string;
  type: string;
  correlationId: string;
  maxAttempts: number;
  retry: RetrySettings;
  /**
   * The results of what the job depends on: for a pipeline node, of the nodes by node id; for a job with
   * `dependsOn`, of those jobs by job id.
   */
  dependencies?: Record<string, unknown>;
}

/** A job activity: takes the job's input, returns its result (small: large output goes to an artifact store). */
export type JobActivity<I = unknown, R = unknown> = (input: I, context: AttemptContext) => Promise<R>;
