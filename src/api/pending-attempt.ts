import type { WorkflowExecutionDescription } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { LoadedDataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { JobProgress, PendingAttempt } from './job-view';

const State = temporal.api.enums.v1.PendingActivityState;
const STATE_NAMES: Record<number, PendingAttempt['state']> = {
  [State.PENDING_ACTIVITY_STATE_SCHEDULED]: 'scheduled',
  [State.PENDING_ACTIVITY_STATE_STARTED]: 'started',
  [State.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED]: 'cancel_requested',
  [State.PENDING_ACTIVITY_STATE_PAUSED]: 'paused',
  [State.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED]: 'started',
};

/** Waits for a job's dependencies (`dependsOn`): not attempts of the job, so not reported as such. */
const NOT_ATTEMPTS: ReadonlySet<string> = new Set(['awaitJob']);

/** Reads the job's pending attempt (a job has at most one) from a describe response. */
export async function pendingAttemptOf(
  description: WorkflowExecutionDescription,
  converter: LoadedDataConverter,
): Promise<PendingAttempt | undefined> {
  const raw = description.raw.pendingActivities?.find((activity) => !NOT_ATTEMPTS.has(activity.activityType?.name ?? ''));
  if (!raw) return undefined;
  const pending: PendingAttempt = {
    state: STATE_NAMES[raw.state ?? 0] ?? 'scheduled',
    attempt: raw.attempt ?? 1,
    nextAttemptAt: optionalTsToDate(raw.nextAttemptScheduleTime),
    lastStartedAt: optionalTsToDate(raw.lastStartedTime),
  };
  if (raw.lastFailure) {
    pending.lastFailure = {
      type: raw.lastFailure.applicationFailureInfo?.type || failureKind(raw.lastFailure),
      message: raw.lastFailure.message ?? '',
    };
  }
  if (raw.heartbeatDetails?.payloads?.length) {
    const details = await decodeFromPayloadsAtIndex<unknown>(converter, 0, raw.heartbeatDetails.payloads).catch(() => undefined);
    const progress = progressOf(details);
    if (progress) pending.progress = progress;
  }
  return pending;
}

function failureKind(failure: temporal.api.failure.v1.IFailure): string {
  const timeout = failure.timeoutFailureInfo?.timeoutType;
  if (timeout === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT) return 'HeartbeatTimeout';
  if (timeout !== undefined && timeout !== null) return 'AttemptTimeout';
  return 'Error';
}

/** Activities report progress as heartbeat details `{ progress: { done, total?, unit? } }`. */
function progressOf(details: unknown): JobProgress | undefined {
  const progress = (details as { progress?: Partial<JobProgress> } | undefined)?.progress;
  if (!progress || typeof progress.done !== 'number') return undefined;
  const result: JobProgress = { done: progress.done };
  if (typeof progress.total === 'number') {
    result.total = progress.total;
    if (progress.total > 0) result.percent = Math.min(100, Math.round((progress.done / progress.total) * 1000) / 10);
  }
  if (typeof progress.unit === 'string') result.unit = progress.unit;
  return result;
}
