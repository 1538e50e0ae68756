// The batch workflow's pure steps: where an inline chunk's items are, when failures stop a round, what
// the progress is, how a failed activity is reported. No commands are issued here.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { BatchCarry, BatchPlan, BatchProgress, ChunkRef, ChunkTask, PlanCursor } from '../../batch/types';
import { FailureType } from '../../jobs/failure-types';
import type { JobSpec } from '../../jobs/spec';
import type { JobError } from '../job-state';

/** How a round of chunks ends. */
export type RoundEnd = { kind: 'finished' } | { kind: 'continue' } | { kind: 'dead-letter'; error: JobError } | { kind: 'timed-out' };

/** An inline chunk's place follows from its index, so a retry needs nothing else to find its items. */
export function inlineRef(plan: BatchPlan, index: number): ChunkRef {
  const first = index * plan.chunkSize;
  return { index, first, count: Math.min(plan.chunkSize, (plan.items?.length ?? 0) - first), range: { kind: 'inline' } };
}

export function planInline(plan: BatchPlan, cursor: PlanCursor, maxChunks: number): ChunkTask[] {
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

export function overThreshold(plan: BatchPlan, state: BatchCarry): RoundEnd | undefined {
  const { failed, total } = state.counters;
  if (plan.maxFailedItems !== undefined && failed > plan.maxFailedItems) {
    return {
      kind: 'dead-letter',
      error: { type: FailureType.TooManyFailedItems, message: `${failed} items failed, more than maxFailedItems (${plan.maxFailedItems})` },
    };
  }
  if (plan.maxFailedRatio !== undefined && total && failed / total > plan.maxFailedRatio) {
    return {
      kind: 'dead-letter',
      error: {
        type: FailureType.TooManyFailedItems,
        message: `${failed} of ${total} items failed, more than maxFailedRatio (${plan.maxFailedRatio})`,
      },
    };
  }
  return undefined;
}

export function progressOf(state: BatchCarry, running: number): BatchProgress {
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
export function activityError(what: string, err: unknown, spec: JobSpec): JobError {
  const exhausted = err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED';
  const attempts = exhausted ? ` after ${spec.maxAttempts} attempts` : '';
  const type = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'Error') : 'ChunkFailed';
  return { type, message: `${what} failed${attempts}: ${describe(err)}` };
}

export function describe(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
