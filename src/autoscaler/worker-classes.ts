import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import { classTaskQueue, DEFAULT_RESOURCE_CLASS, type ResourceClass } from '../jobs/resource-classes';

/**
 * The one place outside the worker that knows how worker classes map to task queues and how a worker
 * for a class is started (the autoscaler, the chaos run and the Kubernetes manifests' test use it).
 *
 * Interface of the worker-pools work (issue 16, branch `pools`: src/jobs/resource-classes.ts,
 * src/pools/worker-args.ts): `npm run worker -- --queues <class,...>` or `JOBLINE_WORKER_QUEUES=<class,...>`
 * serves those classes; the `default` class runs on the main task queue (`JOBLINE_TASK_QUEUE`) and every
 * workflow, every other class on `<main>-<class>`. A worker without either serves every class (a worker of
 * today: the main queue, which is all there is).
 */
export const DEFAULT_CLASS: ResourceClass = DEFAULT_RESOURCE_CLASS;

/** The env variable a worker reads its classes from. */
export const WORKER_QUEUES_ENV = 'JOBLINE_WORKER_QUEUES';

/** A worker that serves every class (the worker's own default): the chaos run's workers. */
export const EVERY_CLASS = '*';

export const WORKER_CLASS_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/** The task queue a class's activities (and, for the default class, every workflow) run on: the worker's own naming. */
export function taskQueueForClass(mainQueue: string, workerClass: string): string {
  return classTaskQueue(mainQueue, workerClass as ResourceClass);
}

export interface WorkerCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * How to start a worker process that serves `classes`: `src/worker.ts` under Node itself (not through the
 * `tsx` or `npm` wrappers), so that a signal sent to the child reaches the worker and not a wrapper.
 */
export function workerCommand(classes: readonly string[] | typeof EVERY_CLASS): WorkerCommand {
  const args = ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'src', 'worker.ts')];
  if (classes === EVERY_CLASS) return { command: process.execPath, args, env: {} };
  return { command: process.execPath, args: [...args, '--queues', classes.join(',')], env: { [WORKER_QUEUES_ENV]: classes.join(',') } };
}
