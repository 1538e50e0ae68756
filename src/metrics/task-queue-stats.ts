import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export type TaskKind = 'workflow' | 'activity';
export const TASK_KINDS: readonly TaskKind[] = ['workflow', 'activity'];

export interface QueueStats {
  backlog: number;
  /** Age of the oldest queued task, seconds (0 with no backlog). */
  oldestAgeSeconds: number;
  pollers: number;
  /** Tasks added and dispatched per second, as the server estimates them. */
  addRate: number;
  dispatchRate: number;
}

const TYPES: Record<TaskKind, temporal.api.enums.v1.TaskQueueType> = {
  workflow: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  activity: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
};

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/**
 * Backlog count and age and pollers of a task queue, from DescribeTaskQueue with `reportStats`. Answers are
 * cached for `ttlMs` and a call in flight is shared, so however many scrapes or requests ask, the server sees
 * at most one call per queue and kind per interval (it caches its own stats for ~5 s anyway).
 */
export class TaskQueueStats {
  private readonly cache = new Map<string, { at: number; value: Promise<QueueStats> }>();

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
    private readonly ttlMs = 5_000,
  ) {}

  get(taskQueue: string, kind: TaskKind): Promise<QueueStats> {
    const key = `${kind}:${taskQueue}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.value;
    const value = this.describe(taskQueue, kind);
    this.cache.set(key, { at: Date.now(), value });
    // A failed call is not cached: the next scrape asks again.
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async describe(taskQueue: string, kind: TaskKind): Promise<QueueStats> {
    const response = await this.client.workflowService.describeTaskQueue({
      namespace: this.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TYPES[kind],
      reportStats: true,
    });
    const stats = response.stats;
    const age = stats?.approximateBacklogAge;
    return {
      backlog: toNumber(stats?.approximateBacklogCount),
      oldestAgeSeconds: toNumber(age?.seconds) + (age?.nanos ?? 0) / 1e9,
      pollers: response.pollers?.length ?? 0,
      addRate: stats?.tasksAddRate ?? 0,
      dispatchRate: stats?.tasksDispatchRate ?? 0,
    };
  }
}
