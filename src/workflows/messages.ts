import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JobStateSnapshot } from './job-state';

/** Run a dead-lettered job again with fresh attempts, optionally with a corrected input. */
export interface RetryRequest {
  input?: unknown;
  reason?: string;
}

export interface DiscardRequest {
  reason?: string;
}

// Signal names are the operator interface: `temporal workflow signal --workflow-id <job id> --name retry`.
export const retrySignal = defineSignal<[RetryRequest?]>('retry');
export const discardSignal = defineSignal<[DiscardRequest?]>('discard');
export const getJobStateQuery = defineQuery<JobStateSnapshot>('getJobState');
