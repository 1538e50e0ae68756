import { proxyActivities, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { JobStatusKey } from '../../src/jobs/search-attributes';
import type { RawActivities } from './activities';

/**
 * Jobline features the raw workflow can switch on one at a time (`--raw-features`), to attribute the gap
 * between Jobline and raw Temporal. Off by default: the raw scenario is the bare ceiling.
 */
export interface RawFeatures {
  /** Jobline's activity options: heartbeat, start-to-close and schedule-to-close timeouts, 3 attempts. */
  timeouts?: boolean;
  /** Jobline's completion bookkeeping: upsert the JobStatus search attribute and the memo. */
  upsert?: boolean;
}

export interface RawJobInput {
  value?: unknown;
  features?: RawFeatures;
}

const { noop } = proxyActivities<RawActivities>({ startToCloseTimeout: '1 minute' });
const jobline = proxyActivities<RawActivities>({
  startToCloseTimeout: '11 minutes',
  scheduleToCloseTimeout: '1 hour',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The ceiling for Jobline: one workflow that runs one activity, with no job lifecycle around it. */
export async function rawJob(input: RawJobInput): Promise<{ value: unknown }> {
  const run = input.features?.timeouts ? jobline.noop : noop;
  const result = await run({ value: input.value });
  if (input.features?.upsert) {
    upsertSearchAttributes([{ key: JobStatusKey, value: 'completed' }]);
    upsertMemo({ attempts: 1, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString() });
  }
  return result;
}
