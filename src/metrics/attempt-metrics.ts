import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { breakerStates } from '../activities/batch/handlers/breaker-states';
import type { ReportJobResult } from '../activities/report';
import { findBatchHandler } from '../batch/handlers';
import { reportJob } from '../jobs/report';
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
  private readonly batchItems: Counter<'handler' | 'outcome'>;
  private readonly reportRows: Counter;

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
    this.batchItems = new Counter({
      name: 'jobline_batch_items_total',
      help: 'Batch items processed by finished chunk attempts, by handler and outcome',
      labelNames: ['handler', 'outcome'],
      registers: [registry],
    });
    this.reportRows = new Counter({
      name: 'jobline_report_rows_read_total',
      help: 'Source rows read by report attempts that completed (a resumed attempt counts only the rows it read itself)',
      registers: [registry],
    });
    new Gauge({
      name: 'jobline_circuit_breaker_state',
      help: 'Circuit breaker of a batch target host on this worker: 0 closed, 1 half-open, 2 open (at most 50 hosts)',
      labelNames: ['host'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { host, value } of breakerStates()) this.set({ host }, value);
      },
    });
  }

  /** What a finished attempt's result tells beyond its outcome: batch items and report rows. */
  private observeResult(activityType: string, input: unknown, outcome: unknown): void {
    const result = (outcome as { result?: unknown } | undefined)?.result;
    if (activityType === 'runBatchChunk') {
      const handler = (input as { handler?: unknown } | undefined)?.handler;
      const counts = result as { succeeded?: number; failed?: number } | undefined;
      const label = typeof handler === 'string' && findBatchHandler(handler) ? handler : 'other';
      this.batchItems.inc({ handler: label, outcome: 'succeeded' }, counts?.succeeded ?? 0);
      this.batchItems.inc({ handler: label, outcome: 'failed' }, counts?.failed ?? 0);
    } else if (activityType === reportJob.activity) {
      const attempts = (result as ReportJobResult | undefined)?.stats?.attempts ?? [];
      this.reportRows.inc(attempts.at(-1)?.rows ?? 0);
    }
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
            const result = await next(input);
            this.observeResult(ctx.info.activityType, input.args[0], result);
            return result;
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
