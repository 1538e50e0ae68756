import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AttemptContext } from '../jobs/spec';
import { JOB_SECONDS } from './buckets';

export type AttemptOutcome = 'succeeded' | 'failed_retryable' | 'failed_non_retryable' | 'cancelled';

/**
 * A worker's attempt series, measured where the attempt runs: outcomes, run time and queue wait (the
 * attempt's scheduled time → its start on this worker; across hosts this includes their clock skew).
 * Attempts that time out are ended by the server, not here: the workflow counts those (src/workflows/job-metrics.ts).
 */
export class AttemptMetrics {
  private readonly attempts: Counter<'type' | 'outcome'>;
  private readonly runSeconds: Histogram<'type' | 'outcome'>;
  private readonly queueWaitSeconds: Histogram<'type'>;

  constructor(registry: Registry) {
    this.attempts = new Counter({
      name: 'jobline_attempts_total',
      help: 'Job attempts by outcome (timeouts: see the workflow series of the same name on the SDK metrics port)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    this.runSeconds = new Histogram({
      name: 'jobline_attempt_duration_seconds',
      help: 'Run time of a job attempt on the worker',
      labelNames: ['type', 'outcome'],
      buckets: JOB_SECONDS,
      registers: [registry],
    });
    this.queueWaitSeconds = new Histogram({
      name: 'jobline_queue_wait_seconds',
      help: 'From the attempt being scheduled to its start on a worker',
      labelNames: ['type'],
      buckets: JOB_SECONDS,
      registers: [registry],
    });
  }

  /** Observes job attempts only: activities whose second argument is an AttemptContext with a job type. */
  interceptor(jobTypes: ReadonlySet<string>): ActivityInterceptorsFactory {
    return (ctx) => ({
      inbound: {
        execute: async (input, next) => {
          const type = (input.args[1] as Partial<AttemptContext> | undefined)?.type;
          if (typeof type !== 'string' || !jobTypes.has(type)) return next(input);
          const startedAt = Date.now();
          this.queueWaitSeconds.observe({ type }, Math.max(0, startedAt - ctx.info.currentAttemptScheduledTimestampMs) / 1000);
          let outcome: AttemptOutcome = 'succeeded';
          try {
            return await next(input);
          } catch (err) {
            outcome = outcomeOf(err, ctx.cancellationSignal.aborted);
            throw err;
          } finally {
            this.attempts.inc({ type, outcome });
            this.runSeconds.observe({ type, outcome }, (Date.now() - startedAt) / 1000);
          }
        },
      },
    });
  }
}

function outcomeOf(err: unknown, cancelled: boolean): AttemptOutcome {
  if (cancelled || err instanceof CancelledFailure) return 'cancelled';
  if (err instanceof ApplicationFailure && err.nonRetryable) return 'failed_non_retryable';
  return 'failed_retryable';
}
