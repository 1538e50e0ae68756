import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchProgress, FailedChunk } from '../batch/types';
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

/** A pipeline node (a child job) tells its pipeline that it was parked or retried, so dependents keep waiting. */
export interface NodeStatusUpdate {
  jobId: string;
  status: 'dead_lettered' | 'running';
}
export const nodeStatusSignal = defineSignal<[NodeStatusUpdate]>('nodeStatus');

export type PipelineNodeStatus = 'waiting' | 'running' | 'dead_lettered' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface PipelineNodeState {
  id: string;
  jobId: string;
  status: PipelineNodeStatus;
  dependsOn: string[];
  error?: string;
}

export interface PipelineState {
  failurePolicy: 'fail-fast' | 'continue';
  nodes: PipelineNodeState[];
}
export const getPipelineStateQuery = defineQuery<PipelineState>('getPipelineState');

/** A batch's counts and rate, live from the workflow (`temporal workflow query --type getBatchProgress`). */
export const getBatchProgressQuery = defineQuery<BatchProgress>('getBatchProgress');
/** The chunks whose latest run left failed items (their failure records list the items). */
export const getFailedChunksQuery = defineQuery<FailedChunk[]>('getFailedChunks');
