import { classTaskQueue, DEFAULT_RESOURCE_CLASS, isResourceClass, RESOURCE_CLASSES, type ResourceClass } from '../jobs/resource-classes';
import type { Logger } from '../logger';
import type { TaskKind, TaskQueueStats } from '../metrics/task-queue-stats';
import { anyValue, valueFor, type PerClass } from '../pools/per-class';
import { HttpProblem } from './problem';
import { isUnavailable } from './temporal-health';

/** JOBLINE_MAX_BACKLOG and JOBLINE_MAX_BACKLOG_AGE_MS, per resource class; unset: no limit. */
export interface BackpressureLimits {
  maxBacklog?: PerClass;
  maxBacklogAgeMs?: PerClass;
}

/** Bounds of `Retry-After` on a 429 (seconds): a drain estimate is a guess, and 0 drain gives the upper one. */
export const MIN_RETRY_AFTER_SECONDS = 1;
export const MAX_RETRY_AFTER_SECONDS = 300;

/** One queue a job waits in, with what Temporal last said of it and the limits that apply. */
export interface QueueState {
  resourceClass: ResourceClass;
  taskQueue: string;
  kind: TaskKind;
  backlog: number;
  oldestAgeSeconds: number;
  /** Tasks per second the server dispatched lately (its estimate): the drain rate behind Retry-After. */
  dispatchRate: number;
  maxBacklog?: number;
  maxBacklogAgeMs?: number;
  /** At or over a limit: new jobs that would wait here are refused. */
  full: boolean;
  /** When full: how long the queue should take to drain below its limit at the current rate (bounded). */
  retryAfterSeconds?: number;
}

/**
 * Load shedding at the edge. A job waits in two queues: the main queue's workflow tasks (every job begins
 * with one; the `default` class's limit applies) and its class's queue's activity tasks (its class's limit).
 * When either is at or over its limit (count, or age of the oldest task) the job is refused with 429 and a
 * `Retry-After` estimated from the queue's drain rate, before anything starts.
 *
 * The figures come from the shared TaskQueueStats (cached ~1 s and shared by every request; the server
 * itself refreshes them about every 5 s), so the limit is approximate: a burst can overshoot it by what
 * arrives within that staleness. Off (no RPC at all) unless a limit is configured.
 */
export class Backpressure {
  constructor(
    private readonly stats: TaskQueueStats,
    private readonly mainQueue: string,
    private readonly limits: BackpressureLimits,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return anyValue(this.limits.maxBacklog) || anyValue(this.limits.maxBacklogAgeMs);
  }

  /** Throws 429 `backlog-full` when a queue the job would wait in is full. Temporal unreachable: 503 as usual. */
  async admit(spec: { resourceClass?: string }): Promise<void> {
    if (!this.enabled) return;
    const resourceClass = spec.resourceClass && isResourceClass(spec.resourceClass) ? spec.resourceClass : DEFAULT_RESOURCE_CLASS;
    const queues: Array<[ResourceClass, TaskKind]> = [
      [DEFAULT_RESOURCE_CLASS, 'workflow'],
      [resourceClass, 'activity'],
    ];
    const states = await Promise.all(queues.map(([queueClass, kind]) => this.read(queueClass, kind)));
    const full = states.filter((state): state is QueueState => state?.full === true);
    if (full.length === 0) return;
    const retryAfter = Math.max(...full.map((state) => state.retryAfterSeconds ?? MAX_RETRY_AFTER_SECONDS));
    const detail = full.map(describeFull).join('; ');
    throw new HttpProblem(
      429,
      'backlog-full',
      `${detail}: try again in about ${retryAfter} s`,
      {
        queues: full.map(({ resourceClass: c, taskQueue, kind, backlog, oldestAgeSeconds, maxBacklog, maxBacklogAgeMs }) => ({
          resourceClass: c,
          taskQueue,
          kind,
          backlog,
          oldestAgeSeconds,
          maxBacklog,
          maxBacklogAgeMs,
        })),
      },
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** For /readyz: every queue a job may wait in, with its limits; `enabled: false` (and no RPC) when off. */
  async state(): Promise<{ enabled: boolean; full?: boolean; queues?: QueueState[] }> {
    if (!this.enabled) return { enabled: false };
    const reads = [
      this.read(DEFAULT_RESOURCE_CLASS, 'workflow'),
      ...RESOURCE_CLASSES.map((resourceClass) => this.read(resourceClass, 'activity')),
    ];
    const queues = (await Promise.all(reads)).filter((state): state is QueueState => state !== undefined);
    return { enabled: true, full: queues.some((queue) => queue.full), queues };
  }

  private async read(resourceClass: ResourceClass, kind: TaskKind): Promise<QueueState | undefined> {
    const taskQueue = classTaskQueue(this.mainQueue, resourceClass);
    let stats;
    try {
      stats = await this.stats.get(taskQueue, kind);
    } catch (err) {
      if (isUnavailable(err)) throw err;
      // Another refusal (a permission the key lacks, an old server): shedding is a help, not a gate.
      this.logger.warn({ err, taskQueue, kind }, 'backlog unknown: admitting without backpressure');
      return undefined;
    }
    const maxBacklog = valueFor(this.limits.maxBacklog, resourceClass);
    const maxBacklogAgeMs = valueFor(this.limits.maxBacklogAgeMs, resourceClass);
    const overCount = maxBacklog !== undefined && stats.backlog >= maxBacklog;
    const overAge = maxBacklogAgeMs !== undefined && stats.backlog > 0 && stats.oldestAgeSeconds * 1_000 >= maxBacklogAgeMs;
    const state: QueueState = {
      resourceClass,
      taskQueue,
      kind,
      backlog: stats.backlog,
      oldestAgeSeconds: stats.oldestAgeSeconds,
      dispatchRate: stats.dispatchRate,
      ...(maxBacklog !== undefined ? { maxBacklog } : {}),
      ...(maxBacklogAgeMs !== undefined ? { maxBacklogAgeMs } : {}),
      full: overCount || overAge,
    };
    if (state.full) {
      const countDrain = overCount ? (stats.backlog - maxBacklog! + 1) / stats.dispatchRate : 0;
      // The tasks older than the limit (assuming even arrivals) must be dispatched for the oldest to be young enough.
      const ageDrain = overAge ? (stats.backlog * (1 - maxBacklogAgeMs! / 1_000 / stats.oldestAgeSeconds)) / stats.dispatchRate : 0;
      state.retryAfterSeconds = retryAfterSeconds(Math.max(countDrain, ageDrain));
    }
    return state;
  }
}

/** Seconds, whole, within the bounds; no drain at all (Infinity, NaN) is the upper bound. */
export function retryAfterSeconds(drainSeconds: number): number {
  if (!Number.isFinite(drainSeconds)) return MAX_RETRY_AFTER_SECONDS;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil(drainSeconds)));
}

function describeFull(state: QueueState): string {
  const what = `${state.kind} tasks on task queue ${state.taskQueue} (class ${state.resourceClass})`;
  const count =
    state.maxBacklog !== undefined && state.backlog >= state.maxBacklog ? `${state.backlog} waiting (limit ${state.maxBacklog})` : '';
  const age =
    state.maxBacklogAgeMs !== undefined && state.oldestAgeSeconds * 1_000 >= state.maxBacklogAgeMs
      ? `the oldest waiting ${Math.round(state.oldestAgeSeconds)} s (limit ${state.maxBacklogAgeMs / 1_000} s)`
      : '';
  return `${what}: ${[count, age].filter(Boolean).join(', ')}`;
}
