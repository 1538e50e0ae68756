import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  BatchCarry,
  BatchPlan,
  BatchProgress,
  BatchResult,
  ChunkInput,
  ChunkOutcome,
  ChunkRef,
  ChunkTask,
  CountRequest,
  PlanCursor,
  PlanPage,
  PlanRequest,
} from '../batch/types';
import type { AttemptContext, JobSpec } from '../jobs/spec';
import { FailureType } from '../jobs/failure-types';
import type { AttemptOutcome, JobError } from './job-state';
import { initialState, startRetryRound } from '../batch/rounds';
import { JobLifecycle } from './lifecycle';
import { getBatchProgressQuery, getFailedChunksQuery } from './messages';

/**
 * Chunks one run starts before it continues as new. Each chunk adds about four events (its activity, and
 * a share of the workflow tasks), so a run's history stays near 1,600 events (measured: 1,583), well
 * inside Temporal's limits, whatever the size of the batch.
 */
export const CHUNKS_PER_RUN = 400;
/** Chunks one planning call returns: planning stays a step ahead of the chunks that run. */
const PLAN_PAGE_CHUNKS = 100;
const PLAN_TIMEOUT_MS = 10 * 60_000;

interface BatchActivities {
  runBatchChunk(input: ChunkInput, context: AttemptContext): Promise<AttemptOutcome<ChunkOutcome>>;
  planBatchChunks(request: PlanRequest, context: AttemptContext): Promise<AttemptOutcome<PlanPage>>;
  countBatchItems(request: CountRequest, context: AttemptContext): Promise<AttemptOutcome<number>>;
}

type RoundEnd = { kind: 'finished' } | { kind: 'continue' } | { kind: 'dead-letter'; error: JobError } | { kind: 'timed-out' };

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
  const deadline = Date.parse(state.deadline);
  let running = 0;
  let planning = false;
  let counting = false;
  let countTried = false;
  let launchedThisRun = 0;
  let changes = 0;
  let timedOut = false;
  let lastError: JobError | undefined;
  const progress = (): BatchProgress => progressOf(state, running);

  setHandler(getBatchProgressQuery, progress);
  setHandler(getFailedChunksQuery, () => state.failedChunks);
  const lifecycle = new JobLifecycle({
    jobId,
    noun: 'batch',
    deadLetterHistory: state.deadLetters,
    acceptsRetryInput: false,
    snapshot: () => ({ round: state.round, input: spec.input, lastError }),
  }).handleMessages();

  const context: AttemptContext = { jobId, type: spec.type, correlationId: spec.correlationId, maxAttempts: spec.maxAttempts, retry: spec.retry };
  const retryPolicy = {
    maximumAttempts: spec.maxAttempts,
    initialInterval: spec.retry.initialIntervalMs,
    backoffCoefficient: spec.retry.backoffCoefficient,
    maximumInterval: spec.retry.maxIntervalMs,
    nonRetryableErrorTypes: spec.nonRetryableErrorTypes,
  };
  const { runBatchChunk } = proxyActivities<BatchActivities>({
    startToCloseTimeout: spec.attemptTimeoutMs,
    heartbeatTimeout: spec.heartbeatTimeoutMs > 0 ? spec.heartbeatTimeoutMs : undefined,
    // A cancelled batch reports `cancelled` only once its chunks have really stopped.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicy,
  });
  const { planBatchChunks, countBatchItems } = proxyActivities<BatchActivities>({ startToCloseTimeout: PLAN_TIMEOUT_MS, retry: retryPolicy });

  // The batch's activities run in a scope of their own, so that a timeout can stop them without cancelling the workflow.
  const chunks = new CancellationScope();
  const inFlight = new Set<Promise<void>>();
  let stop: RoundEnd | undefined;

  const launch = (task: ChunkTask) => {
    running += 1;
    launchedThisRun += 1;
    const { index } = task;
    const ref = task.ref ?? (plan.items ? inlineRef(plan, index) : undefined);
    const input: ChunkInput = {
      jobId,
      round: state.round,
      handler: plan.handler,
      handlerInput: plan.handlerInput,
      source: plan.source,
      ...(state.header ? { header: state.header } : {}),
      ...(plan.items && ref ? { items: plan.items.slice(ref.first, ref.first + ref.count) } : {}),
      task: ref ? { ...task, ref } : task,
      ...(plan.maxItemsPerSecond ? { maxItemsPerSecond: plan.maxItemsPerSecond / plan.concurrency } : {}),
    };
    const done: Promise<void> = chunks
      .run(() => runBatchChunk(input, context))
      .then(
        ({ result }) => {
          state.counters.succeeded += result.succeeded;
          state.counters.failed += result.failed;
          state.processedThisRound += result.processed;
          if (result.failed > 0) state.failedChunks.push({ index, round: state.round, failed: result.failed });
          stop ??= overThreshold(plan, state);
        },
        (err: unknown) => {
          // The chunk goes back to the front of the queue: a retry of the batch runs it again.
          state.pending.unshift(task);
          if (task.retryOf) {
            state.counters.failed += task.retryOf.failed;
            state.failedChunks.push({ index, round: task.retryOf.round, failed: task.retryOf.failed });
          }
          if (!isCancellation(err)) stop ??= { kind: 'dead-letter', error: activityError(`chunk ${index}`, err, spec) };
        },
      )
      .finally(() => {
        running -= 1;
        inFlight.delete(done);
        changes += 1;
      });
    inFlight.add(done);
  };

  const planMore = () => {
    if (plan.items) {
      state.pending.push(...planInline(plan, state.cursor, PLAN_PAGE_CHUNKS));
      state.exhausted = state.cursor.nextPosition >= plan.items.length;
      return;
    }
    planning = true;
    const first = state.cursor.nextIndex === 0;
    const request: PlanRequest = {
      jobId,
      source: plan.source,
      chunkSize: plan.chunkSize,
      cursor: state.cursor,
      // A short first page: the first chunks start after reading only what they need.
      maxChunks: first ? Math.min(PLAN_PAGE_CHUNKS, 2 * plan.concurrency) : PLAN_PAGE_CHUNKS,
      first,
    };
    void chunks
      .run(() => planBatchChunks(request, context))
      .then(
        ({ result: page }) => {
          state.pending.push(...page.chunks.map((ref) => ({ index: ref.index, ref })));
          state.cursor = page.cursor;
          state.exhausted = page.exhausted;
          if (page.header) state.header = page.header;
        },
        (err: unknown) => {
          if (!isCancellation(err)) stop ??= { kind: 'dead-letter', error: activityError('planning the batch', err, spec) };
        },
      )
      .finally(() => {
        planning = false;
        changes += 1;
      });
  };

  /** Counts a source's items beside the first chunks (a full pass over a file), so that `total` shows. */
  const countItems = () => {
    counting = true;
    countTried = true;
    void chunks
      .run(() => countBatchItems({ jobId, source: plan.source }, context))
      .then(
        ({ result }) => {
          state.counters.total = result;
          stop ??= overThreshold(plan, state);
        },
        (err: unknown) => {
          if (!isCancellation(err)) log.warn('could not count the batch items; total stays unknown', { jobId, error: describe(err) });
        },
      )
      .finally(() => {
        counting = false;
        changes += 1;
      });
  };

  /** Runs chunks until the round ends, the run has done its share, or something stops it. */
  const runRound = async (): Promise<RoundEnd> => {
    stop = undefined;
    for (;;) {
      const seen = changes;
      if (timedOut) stop ??= { kind: 'timed-out' };
      const runFull = launchedThisRun >= CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested;
      if (!plan.items && state.counters.total === undefined && !countTried && !stop) countItems();
      if (!stop && !runFull) {
        if (!planning && !state.exhausted && state.pending.length < plan.concurrency) planMore();
        while (running < plan.concurrency && state.pending.length > 0 && launchedThisRun < CHUNKS_PER_RUN) launch(state.pending.shift()!);
      }
      if (running === 0 && !planning && !counting) {
        if (stop) return stop;
        if (state.pending.length === 0 && state.exhausted) return { kind: 'finished' };
        if (runFull) return { kind: 'continue' };
      }
      if (stop?.kind === 'timed-out' && (running > 0 || planning || counting)) chunks.cancel();
      await condition(() => changes !== seen);
    }
  };

  // One timer for the run's share of the overall timeout, rather than one per wait.
  const deadlineTimer = new CancellationScope();
  void deadlineTimer
    .run(() => sleep(Math.max(1, deadline - Date.now())))
    .then(
      () => {
        timedOut = true;
        changes += 1;
      },
      () => undefined,
    );

  try {
    // Only the first run waits: a continued run, or a retry of failed items, comes after the wait.
    if (!carried) await lifecycle.awaitDependencies(spec);
    for (;;) {
      const end = await runRound();
      if (end.kind === 'continue') {
        deadlineTimer.cancel();
        upsertMemo({ batch: progress() });
        log.info('batch continues as new', { jobId, runs: state.runs, ...state.counters });
        state.runs += 1;
        const info = workflowInfo();
        return await makeContinueAsNewFunc<typeof runBatch>({ memo: info.memo, typedSearchAttributes: info.typedSearchAttributes })(spec, state);
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
        await Promise.allSettled([...inFlight]);
        lifecycle.cancelled({ batch: progress() });
      });
    }
    throw err;
  }

  deadlineTimer.cancel();
  const { runningChunks: _none, ...final } = progress();
  lifecycle.complete({ batch: final });
  return { ...final, failedChunks: state.failedChunks, durationMs: Date.now() - Date.parse(state.round0StartedAt) };
}

/** An inline chunk's place follows from its index, so a retry needs nothing else to find its items. */
function inlineRef(plan: BatchPlan, index: number): ChunkRef {
  const first = index * plan.chunkSize;
  return { index, first, count: Math.min(plan.chunkSize, (plan.items?.length ?? 0) - first), range: { kind: 'inline' } };
}

function planInline(plan: BatchPlan, cursor: PlanCursor, maxChunks: number): ChunkTask[] {
  const total = plan.items?.length ?? 0;
  const tasks: ChunkTask[] = [];
  while (tasks.length < maxChunks && cursor.nextPosition < total) {
    const count = Math.min(plan.chunkSize, total - cursor.nextPosition);
    tasks.push({ index: cursor.nextIndex, ref: { index: cursor.nextIndex, first: cursor.nextPosition, count, range: { kind: 'inline' } } });
    cursor.nextIndex += 1;
    cursor.nextPosition += count;
  }
  return tasks;
}

function overThreshold(plan: BatchPlan, state: BatchCarry): RoundEnd | undefined {
  const { failed, total } = state.counters;
  if (plan.maxFailedItems !== undefined && failed > plan.maxFailedItems) {
    return { kind: 'dead-letter', error: { type: FailureType.TooManyFailedItems, message: `${failed} items failed, more than maxFailedItems (${plan.maxFailedItems})` } };
  }
  if (plan.maxFailedRatio !== undefined && total && failed / total > plan.maxFailedRatio) {
    return {
      kind: 'dead-letter',
      error: { type: FailureType.TooManyFailedItems, message: `${failed} of ${total} items failed, more than maxFailedRatio (${plan.maxFailedRatio})` },
    };
  }
  return undefined;
}

function progressOf(state: BatchCarry, running: number): BatchProgress {
  const { total, succeeded, failed } = state.counters;
  const seconds = (Date.now() - Date.parse(state.roundStartedAt)) / 1000;
  return {
    round: state.round,
    ...(total !== undefined ? { total } : {}),
    done: succeeded + failed,
    succeeded,
    failed,
    itemsPerSecond: seconds > 0 ? Math.round((state.processedThisRound / seconds) * 10) / 10 : 0,
    runningChunks: running,
    runs: state.runs,
  };
}

/** Why the batch stops when one of its activities failed for good: `what` failed (after N attempts): why. */
function activityError(what: string, err: unknown, spec: JobSpec): JobError {
  const exhausted = err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED';
  const attempts = exhausted ? ` after ${spec.maxAttempts} attempts` : '';
  const type = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'Error') : 'ChunkFailed';
  return { type, message: `${what} failed${attempts}: ${describe(err)}` };
}

function describe(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
