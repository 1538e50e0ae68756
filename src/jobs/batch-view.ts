import type { BatchProgress, BatchResult } from '../batch/types';
import type { JobMemo } from '../workflows/job-state';
import { getBatchProgressQuery } from '../workflows/messages';
import { withinDeadline, type JobProgress, type KindView } from './kind-view';

/**
 * Progress has a fallback (the memo, as of the last continue-as-new), so it waits less: a query that
 * arrives while the batch continues as new waits for the new run's first workflow task.
 */
const PROGRESS_QUERY_DEADLINE_MS = 1_000;

/** A batch's `progress` and `batch`: live from the workflow, else from its result or memo. */
export const batchView: KindView = async ({ client, description, view }) => {
  let progress: (Omit<BatchProgress, 'runningChunks'> & { runningChunks?: number }) | undefined;
  if (view.status === 'completed') progress = view.result as BatchResult;
  else if (description.status.name === 'RUNNING') {
    progress = await withinDeadline(client, PROGRESS_QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(view.id).query(getBatchProgressQuery),
    );
  }
  progress ??= (description.memo as Partial<JobMemo> | undefined)?.batch;
  if (!progress) return {};
  return {
    progress: batchProgressView(progress),
    batch: {
      round: progress.round,
      runs: progress.runs,
      ...(progress.runningChunks !== undefined ? { runningChunks: progress.runningChunks } : {}),
    },
  };
};

/** A batch's counts as the job view's `progress`: done, total and the percent, derived here only. */
export function batchProgressView(progress: Pick<BatchProgress, 'succeeded' | 'failed'> & Partial<BatchProgress>): JobProgress {
  const done = progress.succeeded + progress.failed;
  const view: JobProgress = {
    done,
    unit: 'items',
    succeeded: progress.succeeded,
    failed: progress.failed,
    itemsPerSecond: progress.itemsPerSecond ?? 0,
  };
  if (progress.total !== undefined) {
    view.total = progress.total;
    view.percent = progress.total > 0 ? Math.min(100, Math.round((done / progress.total) * 1000) / 10) : 100;
  }
  return view;
}
