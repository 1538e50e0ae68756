import { metricMeter } from '@temporalio/workflow';
import type { MetricCounter, MetricHistogram } from '@temporalio/common';

/**
 * Job transitions that only the workflow sees, on the workflow metric meter: the SDK drops these during
 * replay, so each transition is counted once however often the history is replayed. The worker's SDK
 * metrics port exports them (README "Observability").
 */
let meters: { ended: MetricCounter; endToEnd: MetricHistogram; attempts: MetricCounter } | undefined;

function lazyMeters() {
  meters ??= {
    ended: metricMeter.createCounter(
      'jobline_jobs_ended',
      'jobs',
      'Jobs reaching a terminal status or the dead letters, by type and status',
    ),
    endToEnd: metricMeter.createHistogram(
      'jobline_job_end_to_end_seconds',
      'float',
      's',
      'From the job being created to its terminal status',
    ),
    attempts: metricMeter.createCounter('jobline_attempts', 'attempts', 'Job attempts that ended in a timeout, by kind'),
  };
  return meters;
}

export type EndStatus = 'completed' | 'failed' | 'cancelled' | 'timed_out' | 'dead_lettered';

export function recordJobEnd(type: string, status: EndStatus, createdAt: string | undefined): void {
  const { ended, endToEnd } = lazyMeters();
  ended.add(1, { type, status });
  if (status === 'dead_lettered' || !createdAt) return;
  const seconds = (Date.now() - Date.parse(createdAt)) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0) endToEnd.record(seconds, { type, status });
}

/** The attempts ended in a timeout (`attempt` = start-to-close, `heartbeat`, `overall` = schedule-to-close). */
export function recordAttemptTimeout(type: string, kind: 'attempt' | 'heartbeat' | 'overall'): void {
  lazyMeters().attempts.add(1, { type, outcome: `timed_out_${kind}` });
}
