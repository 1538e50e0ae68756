import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  isCancellation,
  log,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../jobs/failure-types';
import type { AttemptContext, JobSpec } from '../jobs/spec';
import type { AttemptOutcome, JobError } from './job-state';
import { recordAttemptTimeout } from './job-metrics';
import { JobLifecycle } from './lifecycle';
import { activityQueueOption } from '../jobs/resource-classes';
type AttemptFn = (input: unknown, context: AttemptContext) => Promise<AttemptOutcome>;

/**
 * The generic job: waits for the jobs in `dependsOn`, then for `runAt`, runs the job type's activity under
 * the spec's retry policy, and parks the job as a dead letter when the attempts run out, until an operator
 * retries or discards it.
 */
export async function runJob(submitted: JobSpec): Promise<unknown> {
  // A schedule starts every run from one stored spec; the run's own workflow id is the job id.
  const spec: JobSpec = { ...submitted, id: workflowInfo().workflowId };
  let input = spec.input;
  let round = 1;
  let lastError: JobError | undefined;
  const lifecycle = new JobLifecycle({
    jobId: spec.id,
    noun: 'job',
    spec,
    revision: spec.lifecycleRevision,
    snapshot: () => ({ round, input, lastError }),
  }).handleMessages();

  try {
    // Dependencies come first; the runAt delay starts once they completed, and only then is the job active.
    const dependencies = await lifecycle.awaitDependencies(spec, { resume: false });
    if (dependencies) spec.dependencies = { ...spec.dependencies, ...dependencies };
    const delayMs = spec.runAt ? Date.parse(spec.runAt) - Date.now() : 0;
    if (delayMs > 0) {
      lifecycle.setStatus('scheduled');
      await sleep(delayMs);
      lifecycle.setStatus('active');
    } else if (dependencies) {
      lifecycle.setStatus('active');
    }

    for (;;) {
      try {
        const outcome = await runAttempts(spec, input, round);
        lifecycle.complete({ attempts: outcome.attempt, startedAt: outcome.startedAt });
        return outcome.result;
      } catch (err) {
        if (isCancellation(err)) throw err;
        lastError = describeFailure(err, spec);
        log.warn('job attempts ended in failure', { jobId: spec.id, round, error: lastError });
        if (lastError.timeout) recordAttemptTimeout(spec.type, lastError.timeout);
        if (lastError.timeout === 'overall') throw lifecycle.timedOut(lastError, {}, lastError);

        const retry = await lifecycle.park(lastError, round, { attempts: lastError.attempt }, lastError);
        if (retry.input !== undefined) input = retry.input;
        round += 1;
        log.info('job retried from the dead letters', { jobId: spec.id, round, reason: retry.reason });
        await lifecycle.resume(round, { attempts: null });
      }
    }
  } catch (err) {
    if (isCancellation(err)) lifecycle.cancelled();
    throw err;
  } finally {
    await lifecycle.settled();
  }
}

function runAttempts(spec: JobSpec, input: unknown, round: number): Promise<AttemptOutcome> {
  const activities = proxyActivities<Record<string, AttemptFn>>({
    activityId: `${spec.activity}-round-${round}`,
    // The job's resource class's queue; none for a spec from before classes (the same commands on replay).
    ...activityQueueOption(spec, workflowInfo().taskQueue),
    startToCloseTimeout: spec.attemptTimeoutMs,
    scheduleToCloseTimeout: spec.timeoutMs,
    heartbeatTimeout: spec.heartbeatTimeoutMs > 0 ? spec.heartbeatTimeoutMs : undefined,
    // Report `cancelled` only once the attempt has really stopped.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: spec.maxAttempts,
      initialInterval: spec.retry.initialIntervalMs,
      backoffCoefficient: spec.retry.backoffCoefficient,
      maximumInterval: spec.retry.maxIntervalMs,
      nonRetryableErrorTypes: spec.nonRetryableErrorTypes,
    },
  });
  const attempt = activities[spec.activity];
  if (!attempt) throw ApplicationFailure.nonRetryable(`no activity named ${spec.activity}`, FailureType.UnknownActivity);
  return attempt(input, {
    jobId: spec.id,
    type: spec.type,
    correlationId: spec.correlationId,
    maxAttempts: spec.maxAttempts,
    retry: spec.retry,
    ...(spec.dependencies ? { dependencies: spec.dependencies } : {}),
  });
}

function describeFailure(err: unknown, spec: JobSpec): JobError {
  if (!(err instanceof ActivityFailure)) {
    return { type: err instanceof Error ? err.name : 'Error', message: String((err as Error)?.message ?? err) };
  }
  const cause = err.cause;
  const exhausted = err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? spec.maxAttempts : undefined;
  if (err.retryState === 'TIMEOUT' || (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_CLOSE')) {
    const last = cause ? ` (last error: ${cause.message})` : '';
    return { type: 'Timeout', timeout: 'overall', message: `overall timeout of ${spec.timeoutMs} ms exceeded${last}` };
  }
  if (cause instanceof TimeoutFailure) {
    const heartbeat = cause.timeoutType === 'HEARTBEAT';
    return {
      type: heartbeat ? 'HeartbeatTimeout' : 'AttemptTimeout',
      timeout: heartbeat ? 'heartbeat' : 'attempt',
      message: heartbeat
        ? `no heartbeat within ${spec.heartbeatTimeoutMs} ms (worker lost or stuck)`
        : `attempt exceeded its timeout of ${spec.attemptTimeoutMs} ms`,
      attempt: exhausted,
    };
  }
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    return { type: cause.type ?? 'Error', message: cause.message, attempt: detail?.attempt ?? exhausted };
  }
  return { type: cause?.name ?? 'Error', message: cause?.message ?? err.message, attempt: exhausted };
}
