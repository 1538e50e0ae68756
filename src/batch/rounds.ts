// A batch's rounds: the state a batch starts with, the state a retry of its failed items starts from, and
// the step between rounds. One module for the workflow (which starts and continues runs) and the API (which
// starts the run after a completed batch), so that the carried state is built in one place. Imported by
// workflow code: no Node APIs, types only from elsewhere.
import type { JobSpec } from '../jobs/spec';
import type { BatchCarry, BatchPlan, BatchResult, ChunkTask } from './types';

/** The state of a batch's first run. */
export function initialState(spec: JobSpec, plan: BatchPlan, now = new Date().toISOString()): BatchCarry {
  return {
    round: 1,
    counters: { ...(plan.items ? { total: plan.items.length } : {}), succeeded: 0, failed: 0 },
    cursor: { nextIndex: 0, nextPosition: 0 },
    exhausted: false,
    pending: [],
    failedChunks: [],
    runs: 1,
    round0StartedAt: now,
    roundStartedAt: now,
    processedThisRound: 0,
    deadline: new Date(Date.parse(spec.createdAt) + spec.timeoutMs).toISOString(),
    deadLetters: [],
  };
}

/** The state a retry-failed run starts from: the finished batch's counts, its failed chunks queued again. */
export function retryFailedCarry(result: BatchResult, spec: JobSpec, now = new Date()): BatchCarry {
  const carry: BatchCarry = {
    round: result.round,
    counters: { ...(result.total !== undefined ? { total: result.total } : {}), succeeded: result.succeeded, failed: result.failed },
    cursor: { nextIndex: 0, nextPosition: 0 },
    exhausted: true,
    pending: [],
    failedChunks: [...result.failedChunks],
    runs: result.runs + 1,
    round0StartedAt: now.toISOString(),
    roundStartedAt: now.toISOString(),
    processedThisRound: 0,
    deadline: new Date(now.getTime() + spec.timeoutMs).toISOString(),
    deadLetters: [],
  };
  startRetryRound(carry, now);
  return carry;
}

/**
 * A new round: every chunk with failed items runs again (only those items), ahead of the chunks not yet
 * run. Their failures leave the counters until they have run again, so a threshold counts only failures
 * that are still failures.
 */
export function startRetryRound(state: BatchCarry, now = new Date()): void {
  const retries: ChunkTask[] = state.failedChunks
    .sort((a, b) => a.index - b.index)
    .map((chunk) => ({ index: chunk.index, retryOf: { round: chunk.round, failed: chunk.failed } }));
  for (const task of retries) state.counters.failed -= task.retryOf!.failed;
  state.pending = [...retries, ...state.pending];
  state.failedChunks = [];
  state.round += 1;
  state.roundStartedAt = now.toISOString();
  state.processedThisRound = 0;
}
