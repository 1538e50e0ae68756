import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttemptContext, JobSpec } from '../jobs/spec';
import { JobStatusKey } from '../temporal/search-attributes';
import { awaitDependencies } from './dependencies';
import type { AttemptOutcome, CoarseJobStatus, JobError, JobStateSnapshot } from './job-state';
import { discardSignal, getJobStateQuery, retrySignal, type RetryRequest } from './messages';
import { tellParent } from './parent';

type Decision = { kind: 'retry'; request: RetryRequest } | { kind: 'discard'; reason: string };
type AttemptFn = (input: unknown, context: AttemptContext) => Promise<AttemptOutcome>;

/**
 * The generic job: waits for the jobs in `dependsOn`, then for `runAt`, runs the job type's activity under
 * the spec's retry policy, and parks the job as a dead letter when the attempts run out, until an operator
 * retries or discards it.
 */
export async function runJob(submitted: JobSpec): Promise<unknown> {
  // A schedule starts every run from one stored spec; the run's own workflow id is the job id.
  const spec: JobSpec = { ...submitted, id: workflowInfo().workflowId };
  let status: CoarseJobStatus = 'active';
  let input = spec.input;
  let round = 1;
  let lastError: JobError | undefined;
  let decision: Decision | undefined;
  const deadLetterHistory: JobStateSnapshot['deadLetterHistory'] = [];

  const setStatus = (next: CoarseJobStatus) => {
    status = next;
    upsertSearchAttributes([{ key: JobStatusKey, value: next }]);
  };

  setHandler(retrySignal, (request) => {
    if (status !== 'dead_lettered') {
      log.warn('retry signal ignored: the job is not dead-lettered', { jobId: spec.id, status });
      return;
    }
    decision = { kind: 'retry', request: request ?? {} };
  });
  setHandler(discardSignal, (request) => {
    if (status !== 'dead_lettered') {
      log.warn('discard signal ignored: the job is not dead-lettered', { jobId: spec.id, status });
      return;
    }
    decision = { kind: 'discard', reason: request?.reason ?? 'discarded by an operator' };
  });
  setHandler(getJobStateQuery, () => ({ status, round, input, lastError, deadLetterHistory }));

  try {
    const dependencies = await awaitDependencies(spec, () => setStatus('waiting'));
    if (dependencies) spec.dependencies = { ...spec.dependencies, ...dependencies };
    const delayMs = spec.runAt ? Date.parse(spec.runAt) - Date.now() : 0;
    if (delayMs > 0) {
      setStatus('scheduled');
      await sleep(delayMs);
      setStatus('active');
    } else if (dependencies) {
      setStatus('active');
    }

    for (;;) {
      try {
        const outcome = await runAttempts(spec, input, round);
        setStatus('completed');
        upsertMemo({ attempts: outcome.attempt, startedAt: outcome.startedAt, finishedAt: nowIso() });
        return outcome.result;
      } catch (err) {
        if (isCancellation(err)) throw err;
        lastError = describeFailure(err, spec);
        log.warn('job attempts ended in failure', { jobId: spec.id, round, error: lastError });

        if (lastError.timeout === 'overall') {
          setStatus('timed_out');
          upsertMemo({ lastError, finishedAt: nowIso() });
          throw ApplicationFailure.nonRetryable(lastError.message, 'JobTimedOut', lastError);
        }

        // Forget any earlier decision before announcing the state: from here on a retry or discard counts,
        // also one that arrives while the parent is being told.
        decision = undefined;
        setStatus('dead_lettered');
        await tellParent(spec.id, 'dead_lettered');
        const at = nowIso();
        deadLetterHistory.push({ ...lastError, round, at });
        upsertMemo({ lastError, deadLetteredAt: at, attempts: lastError.attempt });
        await condition(() => decision !== undefined);
        const chosen = decision as unknown as Decision;

        if (chosen.kind === 'discard') {
          setStatus('failed');
          upsertMemo({ deadLetteredAt: null, finishedAt: nowIso() });
          throw ApplicationFailure.nonRetryable(`${chosen.reason}: ${lastError.message}`, 'JobDiscarded', lastError);
        }
        if (chosen.request.input !== undefined) input = chosen.request.input;
        round += 1;
        log.info('job retried from the dead letters', { jobId: spec.id, round, reason: chosen.request.reason });
        setStatus('active');
        upsertMemo({ round, deadLetteredAt: null, attempts: null });
        await tellParent(spec.id, 'running');
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      setStatus('cancelled');
      upsertMemo({ finishedAt: nowIso() });
    }
    throw err;
  }
}

function runAttempts(spec: JobSpec, input: unknown, round: number): Promise<AttemptOutcome> {
  const activities = proxyActivities<Record<string, AttemptFn>>({
    activityId: `${spec.activity}-round-${round}`,
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
  if (!attempt) throw ApplicationFailure.nonRetryable(`no activity named ${spec.activity}`, 'UnknownActivity');
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

function nowIso(): string {
  return new Date().toISOString();
}
