import type { WorkflowExecutionInfo } from '@temporalio/client';
import { JobPriorityKey, JobStatusKey, JobTypeKey } from '../jobs/search-attributes';
import type { JobProgress, KindViewFields } from '../jobs/kind-view';
import { DEFAULT_JOB_WORKFLOW } from '../jobs/workflow-names';
import { deriveStatus, NOT_STARTED_STATUSES, TERMINAL_STATUSES, type CoarseJobStatus, type JobStatus } from '../jobs/status';
import type { JobError, JobMemo } from '../workflows/job-state';
import { displayUrl, type NotifyEvent } from '../webhooks/events';
import type { DeliveryView } from './webhook-deliveries';

/** The job's pending activity as the server reports it: the only source that tells queued, running and retrying apart. */
export type { JobStatus } from '../jobs/status';

export interface PendingAttempt {
  state: 'scheduled' | 'started' | 'cancel_requested' | 'paused';
  /** For `scheduled` after a failure: the attempt that will run next. */
  attempt: number;
  lastFailure?: { type: string; message: string };
  nextAttemptAt?: Date;
  lastStartedAt?: Date;
  progress?: JobProgress;
}

export type { JobProgress } from '../jobs/kind-view';

export interface JobView extends KindViewFields {
  id: string;
  type: string;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  priority: number;
  correlationId: string;
  metadata: Record<string, string>;
  createdAt: string;
  scheduledFor?: string;
  /** The jobs this one waits for (or waited for) before it runs. */
  dependsOn?: string[];
  startedAt?: string;
  completedAt?: string;
  nextAttemptAt?: string;
  lastError?: JobError;
  progress?: JobProgress;
  result?: unknown;
  /** The job's webhooks: where, which events, and (GET /v1/jobs/{id} only) each delivery so far. */
  notify?: { url: string; events: NotifyEvent[]; deliveries?: DeliveryView[] };
  links: { self: string; result: string; webUi?: string };
}

export interface ViewLinks {
  uiUrl?: string;
  namespace: string;
}

/** Builds the public view of a job from Temporal's own record of it: status, memo, search attributes, pending activity. */
/** What both `describe()` and `list()` give about a workflow. */
export type JobRecord = Pick<
  WorkflowExecutionInfo,
  'type' | 'workflowId' | 'status' | 'startTime' | 'closeTime' | 'memo' | 'typedSearchAttributes'
>;

export function jobLinks(id: string, links: ViewLinks): JobView['links'] {
  const path = `/v1/jobs/${encodeURIComponent(id)}`;
  return {
    self: path,
    result: `${path}/result`,
    webUi: links.uiUrl ? `${links.uiUrl}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(id)}` : undefined,
  };
}

export function toJobView(info: JobRecord, pending: PendingAttempt | undefined, links: ViewLinks): JobView {
  const memo = (info.memo ?? {}) as Partial<JobMemo>;
  const coarse = info.typedSearchAttributes.get(JobStatusKey) as CoarseJobStatus | undefined;
  const status = deriveStatus(info.status.name, coarse, pending, info.type !== DEFAULT_JOB_WORKFLOW);
  const id = info.workflowId;
  const view: JobView = {
    id,
    type: info.typedSearchAttributes.get(JobTypeKey) ?? 'unknown',
    status,
    attempts: attemptsOf(status, memo, pending),
    maxAttempts: memo.maxAttempts ?? 0,
    priority: info.typedSearchAttributes.get(JobPriorityKey) ?? 3,
    correlationId: memo.correlationId ?? '',
    metadata: memo.metadata ?? {},
    createdAt: memo.createdAt ?? info.startTime.toISOString(),
    links: jobLinks(id, links),
  };
  if (memo.runAt) view.scheduledFor = memo.runAt;
  if (memo.dependsOn) view.dependsOn = memo.dependsOn;
  const startedAt = pending?.lastStartedAt?.toISOString() ?? memo.startedAt;
  if (startedAt) view.startedAt = startedAt;
  const completedAt = memo.finishedAt ?? info.closeTime?.toISOString();
  if (completedAt && TERMINAL_STATUSES.has(status)) view.completedAt = completedAt;
  if (status === 'retrying' && pending?.nextAttemptAt) view.nextAttemptAt = pending.nextAttemptAt.toISOString();
  const lastError = lastErrorOf(status, info.status.name, memo, pending);
  if (lastError) view.lastError = lastError;
  if (pending?.progress) view.progress = pending.progress;
  if (memo.notify) view.notify = { url: displayUrl(memo.notify.url), events: memo.notify.events };
  return view;
}

function attemptsOf(status: JobStatus, memo: Partial<JobMemo>, pending: PendingAttempt | undefined): number {
  if (pending) return pending.state === 'started' || pending.state === 'cancel_requested' ? pending.attempt : pending.attempt - 1;
  if (NOT_STARTED_STATUSES.has(status)) return 0;
  return memo.attempts ?? memo.lastError?.attempt ?? 0;
}

function lastErrorOf(
  status: JobStatus,
  workflowStatus: WorkflowExecutionInfo['status']['name'],
  memo: Partial<JobMemo>,
  pending: PendingAttempt | undefined,
): JobError | undefined {
  // The pending activity's failure belongs to the attempt before the one it reports.
  if (pending?.lastFailure) return { ...pending.lastFailure, attempt: pending.attempt - 1 };
  if (workflowStatus === 'TERMINATED') {
    return { type: 'Terminated', message: 'terminated by an operator, or by the server after a fatal error (see its history)' };
  }
  if (status === 'completed') return undefined;
  return memo.lastError;
}
