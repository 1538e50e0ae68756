// Shapes the job workflow publishes (memo, query); shared with the API. Types only.
import type { BatchProgress } from '../batch/types';

import type { CoarseJobStatus } from '../jobs/status';
import type { NotifySpec } from '../webhooks/events';

export type { CoarseJobStatus };

export type TimeoutKind = 'attempt' | 'heartbeat' | 'overall';

export interface JobError {
  type: string;
  message: string;
  /** The attempt (within its round) that failed, when known. */
  attempt?: number;
  /** Set when a timeout ended the attempt or the job. */
  timeout?: TimeoutKind;
}

/** What a job activity returns to the workflow: the job's result plus facts about the attempt. */
export interface AttemptOutcome<R = unknown> {
  result: R;
  attempt: number;
  startedAt: string;
}

/**
 * The job's memo. The client writes the first part at start; the workflow keeps the rest current, so the
 * API can answer from `describe()` without a query (which would need a live worker).
 */
export interface JobMemo {
  requestHash?: string;
  createdAt: string;
  runAt?: string;
  /** The jobs this one waits for, as submitted. */
  dependsOn?: string[];
  correlationId: string;
  metadata: Record<string, string>;
  maxAttempts: number;
  /** The owning tenant (also the JobTenant search attribute); absent: the default tenant. */
  tenant?: string;
  /** 1 + the number of retries from the dead letters. */
  round?: number;
  /** Attempts the finished round took. */
  attempts?: number;
  lastError?: JobError;
  deadLetteredAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** A batch's counts as of its last continue-as-new, dead letter or end: what the API shows without a worker. */
  batch?: Omit<BatchProgress, 'runningChunks'>;
  /** Where and what the job notifies (`notify`): the API then lists the deliveries. */
  notify?: NotifySpec;
}

export interface JobStateSnapshot {
  status: CoarseJobStatus;
  round: number;
  input: unknown;
  lastError?: JobError;
  /** Every failure that dead-lettered the job, oldest first. */
  deadLetterHistory: Array<JobError & { round: number; at: string }>;
}
