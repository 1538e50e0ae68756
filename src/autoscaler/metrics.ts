import { Counter, Gauge, type Registry } from 'prom-client';
import { createRegistry } from '../metrics/registry';
import type { Direction } from './policy';

/** The autoscaler's state as Prometheus series, by worker class. */
export class AutoscalerMetrics {
  readonly registry: Registry = createRegistry();
  private readonly desired = this.gauge('jobline_autoscaler_desired_workers', 'Workers the autoscaler drives the class to');
  private readonly actual = this.gauge(
    'jobline_autoscaler_workers',
    'Worker processes of the class running (not draining), with restarts pending',
  );
  private readonly draining = this.gauge('jobline_autoscaler_draining_workers', 'Worker processes draining after SIGTERM');
  private readonly backlog = this.gauge(
    'jobline_autoscaler_backlog',
    'Queued tasks of the class (workflow + activity), as the server reports them',
  );
  private readonly backlogAge = this.gauge('jobline_autoscaler_backlog_age_seconds', 'Age of the oldest queued task of the class');
  private readonly decisions = new Counter({
    name: 'jobline_autoscaler_decisions_total',
    help: 'Scaling decisions that changed the desired count, by direction',
    labelNames: ['class', 'direction'],
    registers: [this.registry],
  });
  private readonly restarts = new Counter({
    name: 'jobline_autoscaler_worker_restarts_total',
    help: 'Workers that exited without being asked to and were restarted',
    labelNames: ['class'],
    registers: [this.registry],
  });
  private readonly statsErrors = new Counter({
    name: 'jobline_autoscaler_stats_errors_total',
    help: 'Backlog reads that failed (the class holds its count meanwhile)',
    labelNames: ['class'],
    registers: [this.registry],
  });

  constructor(classes: readonly string[]) {
    for (const name of classes) {
      this.restarts.inc({ class: name }, 0);
      this.statsErrors.inc({ class: name }, 0);
      for (const direction of ['up', 'down'] as const) this.decisions.inc({ class: name, direction }, 0);
    }
  }

  observe(name: string, values: { desired: number; actual: number; draining: number; backlog?: number; backlogAgeSeconds?: number }): void {
    this.desired.set({ class: name }, values.desired);
    this.actual.set({ class: name }, values.actual);
    this.draining.set({ class: name }, values.draining);
    if (values.backlog !== undefined) this.backlog.set({ class: name }, values.backlog);
    if (values.backlogAgeSeconds !== undefined) this.backlogAge.set({ class: name }, values.backlogAgeSeconds);
  }

  decided(name: string, direction: Exclude<Direction, 'hold'>): void {
    this.decisions.inc({ class: name, direction });
  }

  restarted(name: string): void {
    this.restarts.inc({ class: name });
  }

  statsFailed(name: string): void {
    this.statsErrors.inc({ class: name });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, labelNames: ['class'], registers: [this.registry] });
  }
}
