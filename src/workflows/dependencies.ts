import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  log,
  proxyActivities,
} from '@temporalio/workflow';
import type { AwaitJobOutcome } from '../activities/await-job';
import { FailureType } from '../jobs/failure-types';
import type { JobSpec } from '../jobs/spec';
import type { CoarseJobStatus, JobError } from './job-state';

const DEPENDENCY_FAILED = FailureType.DependencyFailed;

/** How the wait ended when it did not end with every dependency completed. */
export interface DependencyWaitFailure {
  status: Extract<CoarseJobStatus, 'failed' | 'timed_out'>;
  lastError: JobError;
  /** What the job fails with. */
  failure: ApplicationFailure;
}

export type DependencyWait =
  { kind: 'completed'; results: Record<string, unknown> | undefined } | ({ kind: 'failed' } & DependencyWaitFailure);

/**
 * A lost worker is noticed after this and the wait moves to another one. Generous: waiting costs nothing
 * to redo, and the SDK sends heartbeats at most every 0.8 × this.
 */
const WAIT_HEARTBEAT_TIMEOUT_MS = 60_000;

interface DependencyActivities {
  awaitJob(jobId: string): Promise<AwaitJobOutcome>;
}

/**
 * Waits until every job in `spec.dependsOn` has completed and returns their results by job id, for the
 * job's activity (`AttemptContext.dependencies`). Call it first in a job workflow.
 *
 * - No `dependsOn`: returns undefined at once and issues no command, so older histories replay unchanged.
 * - Otherwise calls `onWaiting` (the caller marks the job `waiting`), then waits for all of them in
 *   parallel, one `awaitJob` activity each. A dead-lettered dependency is still open, so the wait goes on.
 * - A dependency that failed, was cancelled, timed out or was terminated means the job ends `failed`
 *   (`DependencyFailed`); the wait outlasting `spec.timeoutMs` means `timed_out` (`JobTimedOut`). The
 *   lifecycle writes that end (status, memo) for every kind alike. Cancellation is rethrown as is.
 */
export async function awaitDependencies(spec: JobSpec, onWaiting: () => void): Promise<DependencyWait> {
  const ids = spec.dependsOn ?? [];
  if (ids.length === 0) return { kind: 'completed', results: undefined };
  onWaiting();
  const { awaitJob } = proxyActivities<DependencyActivities>({
    scheduleToCloseTimeout: spec.timeoutMs,
    heartbeatTimeout: WAIT_HEARTBEAT_TIMEOUT_MS,
    // Waiting has no side effects to wait out: a cancelled job reports `cancelled` at once.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    // No maximumAttempts: unlimited, so only the job's overall timeout (schedule-to-close) ends the wait.
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 30_000 },
  });
  log.info('job waits for its dependencies', { jobId: spec.id, dependsOn: ids });

  const finished = new Set<string>();
  // The waits run in their own scope: the first dependency that fails cancels the others' waits.
  const waits = new CancellationScope();
  try {
    const outcomes = await waits.run(() =>
      Promise.all(
        ids.map(async (id) => {
          const outcome = await awaitJob(id);
          finished.add(id);
          if (outcome.status !== 'completed') throw dependencyFailure(id, outcome);
          return outcome.result;
        }),
      ),
    );
    // In `dependsOn` order, not in the order they completed.
    return { kind: 'completed', results: Object.fromEntries(ids.map((id, index) => [id, outcomes[index]])) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    waits.cancel();
    const lastError = describeWaitFailure(
      err,
      spec,
      ids.filter((id) => !finished.has(id)),
    );
    const status: CoarseJobStatus = lastError.timeout === 'overall' ? 'timed_out' : 'failed';
    log.warn('job ends: its dependencies did not complete', { jobId: spec.id, status, error: lastError });
    const failure =
      err instanceof ApplicationFailure && err.type === DEPENDENCY_FAILED
        ? err
        : ApplicationFailure.nonRetryable(
            lastError.message,
            status === 'timed_out' ? FailureType.JobTimedOut : DEPENDENCY_FAILED,
            lastError,
          );
    return { kind: 'failed', status, lastError, failure };
  }
}

function dependencyFailure(id: string, outcome: Extract<AwaitJobOutcome, { reason: string }>): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`dependency ${id} ${outcome.status}: ${outcome.reason}`, DEPENDENCY_FAILED, {
    dependency: id,
    status: outcome.status,
    reason: outcome.reason,
  });
}

function describeWaitFailure(err: unknown, spec: JobSpec, pending: string[]): JobError {
  if (err instanceof ApplicationFailure && err.type === DEPENDENCY_FAILED) return { type: DEPENDENCY_FAILED, message: err.message };
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const overall = err instanceof ActivityFailure && err.retryState === 'TIMEOUT';
  if (overall || (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_CLOSE')) {
    return {
      type: 'Timeout',
      timeout: 'overall',
      message: `overall timeout of ${spec.timeoutMs} ms exceeded while waiting for ${pending.join(', ')}`,
    };
  }
  // Not expected (the waits retry without limit), but say what it was rather than hide it.
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return { type: DEPENDENCY_FAILED, message: `could not wait for the dependencies: ${message}` };
}
