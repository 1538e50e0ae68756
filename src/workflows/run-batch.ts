import {
  CancellationScope,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { initialState, startRetryRound } from '../batch/rounds';
import type { BatchCarry, BatchPlan, BatchResult } from '../batch/types';
import type { JobSpec } from '../jobs/spec';
import { ChunkRunner } from './batch/chunk-runner';
import type { JobError } from './job-state';
import { JobLifecycle } from './lifecycle';
import { getBatchProgressQuery, getFailedChunksQuery } from './messages';

export { CHUNKS_PER_RUN } from './batch/chunk-runner';

/**
 * A batch job: many items under one job id, processed in chunks by activities with bounded parallelism.
 * Failed items are recorded (by the chunk, in the artifact store) and do not fail the batch; past the
 * failure threshold, or when a chunk's attempts run out, the batch is parked as a dead letter until it is
 * retried (failed items and unfinished chunks run again) or discarded. The workflow continues as new
 * every CHUNKS_PER_RUN chunks, carrying its cursor and counters, so its history stays bounded.
 */
export async function runBatch(spec: JobSpec, carried?: BatchCarry): Promise<BatchResult> {
  const plan = spec.input as BatchPlan;
  const jobId = workflowInfo().workflowId;
  const state: BatchCarry = carried ?? initialState(spec, plan);
  const chunks = new ChunkRunner(spec, plan, state, jobId);
  let lastError: JobError | undefined;
  const progress = () => chunks.progress();

  setHandler(getBatchProgressQuery, progress);
  setHandler(getFailedChunksQuery, () => state.failedChunks);
  const lifecycle = new JobLifecycle({
    jobId,
    noun: 'batch',
    spec,
    deadLetterHistory: state.deadLetters,
    acceptsRetryInput: false,
    revision: spec.lifecycleRevision,
    snapshot: () => ({ round: state.round, input: spec.input, lastError }),
  }).handleMessages();

  // One timer for the run's share of the overall timeout, rather than one per wait.
  const deadlineTimer = new CancellationScope();
  void deadlineTimer
    .run(() => sleep(Math.max(1, Date.parse(state.deadline) - Date.now())))
    .then(
      () => chunks.timeOut(),
      () => undefined,
    );

  try {
    // Only the first run waits: a continued run, or a retry of failed items, comes after the wait.
    if (!carried) await lifecycle.awaitDependencies(spec);
    for (;;) {
      const end = await chunks.runRound();
      if (end.kind === 'continue') {
        deadlineTimer.cancel();
        upsertMemo({ batch: progress() });
        log.info('batch continues as new', { jobId, runs: state.runs, ...state.counters });
        state.runs += 1;
        const info = workflowInfo();
        return await makeContinueAsNewFunc<typeof runBatch>({ memo: info.memo, typedSearchAttributes: info.typedSearchAttributes })(
          spec,
          state,
        );
      }
      if (end.kind === 'finished') break;
      if (end.kind === 'timed-out') {
        lastError = { type: 'Timeout', timeout: 'overall', message: `overall timeout of ${spec.timeoutMs} ms exceeded` };
        throw lifecycle.timedOut(lastError, { batch: progress() }, progress());
      }
      // Dead-lettered: wait for an operator's retry (a new round) or discard.
      lastError = end.error;
      log.warn('batch dead-lettered', { jobId, round: state.round, error: lastError });
      await lifecycle.park(lastError, state.round, { batch: progress() }, progress());
      startRetryRound(state);
      log.info('batch retried from the dead letters', { jobId, round: state.round });
      await lifecycle.resume(state.round, {});
    }
  } catch (err) {
    if (isCancellation(err)) {
      chunks.cancel();
      await CancellationScope.nonCancellable(async () => {
        await chunks.settled();
        lifecycle.cancelled({ batch: progress() });
      });
    }
    await lifecycle.settled();
    throw err;
  }

  deadlineTimer.cancel();
  const { runningChunks: _none, ...final } = progress();
  lifecycle.complete({ batch: final });
  await lifecycle.settled();
  return { ...final, failedChunks: state.failedChunks, durationMs: Date.now() - Date.parse(state.round0StartedAt) };
}
