import type { Logger } from '../logger';
import { TASK_KINDS, type TaskQueueStats } from '../metrics/task-queue-stats';
import type { AutoscalerMetrics } from './metrics';
import type { AutoscalerOptions, ClassSpec } from './options';
import { decide, type Backlog, type ScalingState } from './policy';
import type { WorkerPool } from './worker-pool';
import { taskQueueForClass } from './worker-classes';

export interface AutoscalerDeps {
  options: AutoscalerOptions;
  mainQueue: string;
  stats: TaskQueueStats;
  pools: Map<string, WorkerPool>;
  metrics: AutoscalerMetrics;
  logger: Logger;
}

/** Reads each class's backlog every interval, asks the policy, and drives the class's pool to its answer. */
export class Autoscaler {
  private readonly states = new Map<string, ScalingState>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  constructor(private readonly deps: AutoscalerDeps) {
    for (const spec of deps.options.classes) this.states.set(spec.name, { desired: spec.min });
  }

  start(): void {
    for (const spec of this.deps.options.classes) this.pool(spec).scaleTo(spec.min);
    const loop = () => {
      this.ticking = this.tick().finally(() => {
        this.timer = setTimeout(loop, this.deps.options.intervalMs);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.ticking;
    clearTimeout(this.timer);
    await Promise.all([...this.deps.pools.values()].map((pool) => pool.stop()));
  }

  private async tick(): Promise<void> {
    await Promise.all(this.deps.options.classes.map((spec) => this.tickClass(spec)));
  }

  private async tickClass(spec: ClassSpec): Promise<void> {
    const { logger, metrics, options } = this.deps;
    const pool = this.pool(spec);
    const state = this.states.get(spec.name)!;
    const taskQueue = taskQueueForClass(this.deps.mainQueue, spec.name);
    let backlog: Backlog;
    try {
      backlog = await this.backlogOf(taskQueue);
    } catch (err) {
      metrics.statsFailed(spec.name);
      logger.warn({ err, workerClass: spec.name, taskQueue }, 'autoscaler could not read the backlog; holding');
      pool.scaleTo(state.desired);
      metrics.observe(spec.name, { desired: state.desired, actual: pool.actual, draining: pool.draining });
      return;
    }
    const decision = decide(spec, options.tuning, backlog, state, Date.now());
    this.states.set(spec.name, decision.state);
    const fields = {
      workerClass: spec.name,
      taskQueue,
      direction: decision.direction,
      from: state.desired,
      to: decision.desired,
      backlog: backlog.backlog,
      oldestAgeSeconds: Number(backlog.oldestAgeSeconds.toFixed(1)),
      reason: decision.reason,
    };
    if (decision.direction === 'hold') logger.debug(fields, 'autoscaler decision');
    else {
      metrics.decided(spec.name, decision.direction);
      logger.info(fields, 'autoscaler decision');
    }
    pool.scaleTo(decision.desired);
    metrics.observe(spec.name, {
      desired: decision.desired,
      actual: pool.actual,
      draining: pool.draining,
      backlog: backlog.backlog,
      backlogAgeSeconds: backlog.oldestAgeSeconds,
    });
  }

  /** Workflow and activity tasks together: either kind waiting means the class lacks workers. */
  private async backlogOf(taskQueue: string): Promise<Backlog> {
    const all = await Promise.all(TASK_KINDS.map((kind) => this.deps.stats.get(taskQueue, kind)));
    return {
      backlog: all.reduce((sum, s) => sum + s.backlog, 0),
      oldestAgeSeconds: Math.max(...all.map((s) => s.oldestAgeSeconds)),
    };
  }

  private pool(spec: ClassSpec): WorkerPool {
    const pool = this.deps.pools.get(spec.name);
    if (!pool) throw new Error(`no pool for class ${spec.name}`);
    return pool;
  }
}
