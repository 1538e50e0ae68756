// A job's status, in one place: the vocabulary, the coarse status the workflow keeps in the `JobStatus`
// search attribute, how the public status is derived from what Temporal records, and the visibility
// clause that finds each status. Imported by workflow code and by the API: no Node APIs, no runtime
// imports.

/** Every status a client sees (`GET /v1/jobs/{id}`, `?status=`). */
export const JOB_STATUSES = [
  'waiting',
  'scheduled',
  'queued',
  'running',
  'retrying',
  'completed',
  'dead_lettered',
  'failed',
  'cancelled',
  'timed_out',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * The `JobStatus` search attribute, kept by the workflow. `active` covers queued, running and retrying:
 * only the pending activity, which the server knows, tells those apart. `waiting`: for the jobs in `dependsOn`.
 */
export const COARSE_STATUSES = [
  'waiting',
  'scheduled',
  'active',
  'dead_lettered',
  'completed',
  'failed',
  'cancelled',
  'timed_out',
] as const;
export type CoarseJobStatus = (typeof COARSE_STATUSES)[number];

/**
 * The revision of what a job's workflow writes, recorded in its spec at submission (`JobSpec.lifecycleRevision`;
 * absent means 1). The workflow branches on the recorded revision rather than on `patched()`: a patch marker
 * would add two events and a `TemporalChangeVersion` upsert to every job, more than the change saves.
 * - 1: completion upserts `JobStatus = 'completed'` and a memo with `finishedAt`.
 * - 2: completion writes neither: visibility's `ExecutionStatus = 'Completed'` and `CloseTime` already say it
 *   (one history event, one visibility write and a search-attribute validation less per job). The
 *   `JobStatus` of a completed job stays at the last live value (`active`).
 */
export const LIFECYCLE_REVISION = 2;

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['completed', 'failed', 'cancelled', 'timed_out']);

/** Statuses in which the job has not yet run an attempt. */
export const NOT_STARTED_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['waiting', 'scheduled', 'queued']);

/** The workflow execution status as the client SDK names it. */
export type WorkflowStatusName =
  'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'CONTINUED_AS_NEW' | 'TIMED_OUT' | 'UNSPECIFIED' | 'PAUSED' | 'UNKNOWN';

/** The pending activity's state, as far as the status depends on it. */
export interface PendingAttemptState {
  state: 'scheduled' | 'started' | 'cancel_requested' | 'paused';
  attempt: number;
}

/** What a job's start tells about it: dependencies come first, the `runAt` delay starts once they completed. */
export interface StartFacts {
  dependsOn?: readonly string[];
  runAt?: string;
}

/** The `JobStatus` a job starts with. */
export function initialCoarseStatus(spec: StartFacts): CoarseJobStatus {
  if (spec.dependsOn && spec.dependsOn.length > 0) return 'waiting';
  return spec.runAt ? 'scheduled' : 'active';
}

/** The status a client sees for a job that was just started (before any worker touched it). */
export function initialStatus(spec: StartFacts): JobStatus {
  const coarse = initialCoarseStatus(spec);
  return coarse === 'active' ? 'queued' : (coarse as JobStatus);
}

/**
 * The public status from what Temporal records: the execution status, the workflow's `JobStatus`, and the
 * pending activity (for a job that runs one attempt at a time). A composite job (a pipeline, a batch) runs
 * children or many chunks, not one attempt: active means running.
 */
export function deriveStatus(
  workflowStatus: WorkflowStatusName,
  coarse: CoarseJobStatus | undefined,
  pending: PendingAttemptState | undefined,
  composite = false,
): JobStatus {
  switch (workflowStatus) {
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'TIMED_OUT':
      return 'timed_out';
    case 'TERMINATED':
      return 'failed';
    case 'FAILED':
      return coarse === 'timed_out' || coarse === 'cancelled' ? coarse : 'failed';
    case 'RUNNING':
      if (coarse === 'waiting' || coarse === 'scheduled' || coarse === 'dead_lettered') return coarse;
      if (composite) return 'running';
      if (!pending) return 'queued';
      if (pending.state === 'started' || pending.state === 'cancel_requested') return 'running';
      return pending.attempt > 1 ? 'retrying' : 'queued';
    default:
      return 'failed';
  }
}

/** Queued, running and retrying are one state in visibility: only the pending activity tells them apart. */
export const LIVE_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['queued', 'running', 'retrying']);

/**
 * The visibility clause that finds the jobs `deriveStatus` may give `status`: the inverse of the derivation
 * as far as visibility can see (for the live statuses the caller still tells them apart by the pending
 * activity). Terminated runs never got to update `JobStatus`, and completed ones do not (revision 2), hence
 * `ExecutionStatus`.
 */
export function statusClause(status: JobStatus): string {
  if (status === 'completed') return `ExecutionStatus = 'Completed'`;
  if (LIVE_STATUSES.has(status)) return `JobStatus = 'active' AND ExecutionStatus = 'Running'`;
  if (status === 'failed') return `(JobStatus = 'failed' OR ExecutionStatus = 'Terminated')`;
  if (status === 'waiting' || status === 'scheduled' || status === 'dead_lettered') {
    return `JobStatus = '${status}' AND ExecutionStatus = 'Running'`;
  }
  return `JobStatus = '${status}'`;
}
