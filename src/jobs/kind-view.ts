import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { PipelineNodeState } from '../workflows/messages';
import type { JobStatus } from './status';

/** A job's progress as `GET /v1/jobs/{id}` shows it (an attempt's heartbeats, or a batch's counts). */
export interface JobProgress {
  done: number;
  total?: number;
  unit?: string;
  percent?: number;
  /** Batches: items that succeeded and failed (done = succeeded + failed), and the current round's rate. */
  succeeded?: number;
  failed?: number;
  itemsPerSecond?: number;
}

/** What a composite kind adds to its jobs' views. */
export interface KindViewFields {
  progress?: JobProgress;
  /** For a batch: its round (1 + retries of failed items) and how many runs its history took. */
  batch?: { round: number; runs: number; runningChunks?: number };
  /** For a pipeline: every node with its status and job id. */
  nodes?: PipelineNodeState[];
}

export interface KindViewContext {
  client: Client;
  description: WorkflowExecutionDescription;
  /** The view as far as the generic part built it: its status, and its result once completed. */
  view: { id: string; status: JobStatus; result?: unknown };
}

/**
 * A composite kind's part of `GET /v1/jobs/{id}`, declared with the kind (`defineJobType({ view })`), so the
 * API asks the kind instead of branching on its workflow. Best effort: what needs a live worker (a query)
 * runs under a deadline and is left out when none answers.
 */
export type KindView = (context: KindViewContext) => Promise<KindViewFields>;

/** Runs a call that needs a live worker under a deadline; undefined when none answered in time. */
export function withinDeadline<T>(client: Client, ms: number, call: () => Promise<T>): Promise<T | undefined> {
  return client.connection.withDeadline(Date.now() + ms, call).catch(() => undefined);
}
