import path from 'node:path';
import { PROJECT_ROOT } from '../config';

/**
 * The one place outside the worker that knows how worker classes map to task queues and how a worker
 * for a class is started (the autoscaler, the chaos run and the Kubernetes manifests' test use it).
 *
 * Interface assumed from the worker-pools work (issue 16): `npm run worker -- --queues <class,...>` or
 * `JOBLINE_WORKER_QUEUES=<class,...>` serves those classes; the `default` class runs on the main task
 * queue (`JOBLINE_TASK_QUEUE`), every other class on `<main>-<class>`. A worker without the option serves
 * the default class, which is all a worker of today does.
 */
export const DEFAULT_CLASS = 'default';

/** The env variable a worker reads its classes from. */
export const WORKER_QUEUES_ENV = 'JOBLINE_WORKER_QUEUES';

export const WORKER_CLASS_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/** The task queue a class's activities (and, for the default class, every workflow) run on. */
export function taskQueueForClass(mainQueue: string, workerClass: string): string {
  return workerClass === DEFAULT_CLASS ? mainQueue : `${mainQueue}-${workerClass}`;
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
export function workerCommand(classes: readonly string[]): WorkerCommand {
  const onlyDefault = classes.length === 1 && classes[0] === DEFAULT_CLASS;
  return {
    command: process.execPath,
    args: ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'src', 'worker.ts'), ...(onlyDefault ? [] : ['--queues', classes.join(',')])],
    env: { [WORKER_QUEUES_ENV]: classes.join(',') },
  };
}
