import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { BatchCarry, BatchPlan, BatchProgress, ChunkInput, ChunkTask, PlanRequest } from '../../batch/types';
import type { AttemptContext, JobSpec } from '../../jobs/spec';
import { activityQueueOption } from '../../jobs/resource-classes';
import { activityError, describe, inlineRef, overThreshold, planInline, progressOf, type RoundEnd } from './steps';

/**
 * Chunks one run starts before it continues as new. Each chunk adds about four events (its activity, and
 * a share of the workflow tasks), so a run's history stays near 1,600 events (measured: 1,583), well
 * inside Temporal's limits, whatever the size of the batch.
 */
export const CHUNKS_PER_RUN = 400;
/** Chunks one planning call returns: planning stays a step ahead of the chunks that run. */
const PLAN_PAGE_CHUNKS = 100;
const PLAN_TIMEOUT_MS = 10 * 60_000;

/** What one run of the batch workflow knows besides the carried state: the activities in flight. */
interface RunState {
  running: number;
  planning: boolean;
  counting: boolean;
  countTried: boolean;
  launchedThisRun: number;
  /** Bumped by every activity that settles and by the deadline: the round loop waits for it to move. */
  changes: number;
  timedOut: boolean;
  stop: RoundEnd | undefined;
}

/**
 * Runs a batch's chunks in one run of its workflow: plans chunks ahead (a page at a time), launches up to
 * `concurrency` chunk activities, counts a source's items beside the first chunks, and decides when a
 * round ends. Its activities run in a scope of their own, so that a timeout can stop them without
 * cancelling the workflow.
 */
export class ChunkRunner {
  private readonly run: RunState = {
    running: 0,
    planning: false,
    counting: false,
    countTried: false,
    launchedThisRun: 0,
    changes: 0,
    timedOut: false,
    stop: undefined,
  };
  private readonly scope = new CancellationScope();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly chunkActivities: Pick<Activities, 'runBatchChunk'>;
  private readonly planActivities: Pick<Activities, 'planBatchChunks' | 'countBatchItems'>;
  private readonly context: AttemptContext;

  constructor(
    private readonly spec: JobSpec,
    private readonly plan: BatchPlan,
    private readonly state: BatchCarry,
    private readonly jobId: string,
  ) {
    this.context = { jobId, type: spec.type, correlationId: spec.correlationId, maxAttempts: spec.maxAttempts, retry: spec.retry };
    const retry = {
      maximumAttempts: spec.maxAttempts,
      initialInterval: spec.retry.initialIntervalMs,
      backoffCoefficient: spec.retry.backoffCoefficient,
      maximumInterval: spec.retry.maxIntervalMs,
      nonRetryableErrorTypes: spec.nonRetryableErrorTypes,
    };
    // The handler's resource class's queue; none for a spec from before classes (the same commands on replay).
    const queue = activityQueueOption(spec, workflowInfo().taskQueue);
    this.chunkActivities = proxyActivities<Activities>({
      ...queue,
      startToCloseTimeout: spec.attemptTimeoutMs,
      heartbeatTimeout: spec.heartbeatTimeoutMs > 0 ? spec.heartbeatTimeoutMs : undefined,
      // A cancelled batch reports `cancelled` only once its chunks have really stopped.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry,
    });
    // Planning heartbeats too (the chaos run found a batch stuck for PLAN_TIMEOUT_MS after a SIGKILL mid-plan).
    // Activity options are not part of a command's replay check: old histories replay unchanged.
    this.planActivities = proxyActivities<Activities>({
      ...queue,
      startToCloseTimeout: PLAN_TIMEOUT_MS,
      heartbeatTimeout: spec.heartbeatTimeoutMs > 0 ? spec.heartbeatTimeoutMs : undefined,
      retry,
    });
  }

  progress(): BatchProgress {
    return progressOf(this.state, this.run.running);
  }

  /** The overall timeout passed: the round stops and cancels what runs. */
  timeOut(): void {
    this.run.timedOut = true;
    this.run.changes += 1;
  }

  /** Cancels every activity of the run (they report once they have really stopped: see `settled`). */
  cancel(): void {
    this.scope.cancel();
  }

  /** Resolves once every chunk activity in flight has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs chunks until the round ends, the run has done its share, or something stops it. */
  async runRound(): Promise<RoundEnd> {
    const { run, state, plan } = this;
    run.stop = undefined;
    for (;;) {
      const seen = run.changes;
      if (run.timedOut) run.stop ??= { kind: 'timed-out' };
      const runFull = run.launchedThisRun >= CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested;
      if (!plan.items && state.counters.total === undefined && !run.countTried && !run.stop) this.countItems();
      if (!run.stop && !runFull) {
        if (!run.planning && !state.exhausted && state.pending.length < plan.concurrency) this.planMore();
        while (run.running < plan.concurrency && state.pending.length > 0 && run.launchedThisRun < CHUNKS_PER_RUN)
          this.launch(state.pending.shift()!);
      }
      if (run.running === 0 && !run.planning && !run.counting) {
        if (run.stop) return run.stop;
        if (state.pending.length === 0 && state.exhausted) return { kind: 'finished' };
        if (runFull) return { kind: 'continue' };
      }
      if (run.stop?.kind === 'timed-out' && (run.running > 0 || run.planning || run.counting)) this.scope.cancel();
      await condition(() => run.changes !== seen);
    }
  }

  private launch(task: ChunkTask): void {
    const { run, state, plan } = this;
    run.running += 1;
    run.launchedThisRun += 1;
    const { index } = task;
    const ref = task.ref ?? (plan.items ? inlineRef(plan, index) : undefined);
    const input: ChunkInput = {
      jobId: this.jobId,
      round: state.round,
      handler: plan.handler,
      handlerInput: plan.handlerInput,
      source: plan.source,
      ...(state.header ? { header: state.header } : {}),
      ...(plan.items && ref ? { items: plan.items.slice(ref.first, ref.first + ref.count) } : {}),
      task: ref ? { ...task, ref } : task,
      ...(plan.maxItemsPerSecond ? { maxItemsPerSecond: plan.maxItemsPerSecond / plan.concurrency } : {}),
    };
    const done: Promise<void> = this.scope
      .run(() => this.chunkActivities.runBatchChunk(input, this.context))
      .then(
        ({ result }) => {
          state.counters.succeeded += result.succeeded;
          state.counters.failed += result.failed;
          state.processedThisRound += result.processed;
          if (result.failed > 0) state.failedChunks.push({ index, round: state.round, failed: result.failed });
          run.stop ??= overThreshold(plan, state);
        },
        (err: unknown) => {
          // The chunk goes back to the front of the queue: a retry of the batch runs it again.
          state.pending.unshift(task);
          if (task.retryOf) {
            state.counters.failed += task.retryOf.failed;
            state.failedChunks.push({ index, round: task.retryOf.round, failed: task.retryOf.failed });
          }
          if (!isCancellation(err)) run.stop ??= { kind: 'dead-letter', error: activityError(`chunk ${index}`, err, this.spec) };
        },
      )
      .finally(() => {
        run.running -= 1;
        this.inFlight.delete(done);
        run.changes += 1;
      });
    this.inFlight.add(done);
  }

  private planMore(): void {
    const { run, state, plan } = this;
    if (plan.items) {
      state.pending.push(...planInline(plan, state.cursor, PLAN_PAGE_CHUNKS));
      state.exhausted = state.cursor.nextPosition >= plan.items.length;
      return;
    }
    run.planning = true;
    const first = state.cursor.nextIndex === 0;
    const request: PlanRequest = {
      jobId: this.jobId,
      source: plan.source,
      chunkSize: plan.chunkSize,
      cursor: state.cursor,
      // A short first page: the first chunks start after reading only what they need.
      maxChunks: first ? Math.min(PLAN_PAGE_CHUNKS, 2 * plan.concurrency) : PLAN_PAGE_CHUNKS,
      first,
    };
    void this.scope
      .run(() => this.planActivities.planBatchChunks(request, this.context))
      .then(
        ({ result: page }) => {
          state.pending.push(...page.chunks.map((ref) => ({ index: ref.index, ref })));
          state.cursor = page.cursor;
          state.exhausted = page.exhausted;
          if (page.header) state.header = page.header;
        },
        (err: unknown) => {
          if (!isCancellation(err)) run.stop ??= { kind: 'dead-letter', error: activityError('planning the batch', err, this.spec) };
        },
      )
      .finally(() => {
        run.planning = false;
        run.changes += 1;
      });
  }

  /** Counts a source's items beside the first chunks (a full pass over a file), so that `total` shows. */
  private countItems(): void {
    const { run, state, plan } = this;
    run.counting = true;
    run.countTried = true;
    void this.scope
      .run(() => this.planActivities.countBatchItems({ jobId: this.jobId, source: plan.source }, this.context))
      .then(
        ({ result }) => {
          state.counters.total = result;
          run.stop ??= overThreshold(plan, state);
        },
        (err: unknown) => {
          if (!isCancellation(err))
            log.warn('could not count the batch items; total stays unknown', { jobId: this.jobId, error: describe(err) });
        },
      )
      .finally(() => {
        run.counting = false;
        run.changes += 1;
      });
  }
}
