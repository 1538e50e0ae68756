// Imported by workflow code: plain data and pure functions only (no Node APIs, no zod).

/**
 * Resource classes: the worker pools a job's activities run on. Each class has a task queue of its own, so a
 * flood of one kind of work (slow reports, many webhooks) holds only its own class's slots. Workflows always
 * run on the main queue (JOBLINE_TASK_QUEUE), served by the `default` class's worker.
 *
 * - `default`: quick, light work (echo); also every workflow task.
 * - `io`: waits on the network or a database (http, batch http-deliver and pg-upsert).
 * - `reports`: long, heavy streaming over files and tables (report).
 */
export const RESOURCE_CLASSES = ['default', 'io', 'reports'] as const;
export type ResourceClass = (typeof RESOURCE_CLASSES)[number];
export const DEFAULT_RESOURCE_CLASS: ResourceClass = 'default';

export function isResourceClass(name: string): name is ResourceClass {
  return (RESOURCE_CLASSES as readonly string[]).includes(name);
}

/**
 * The one naming rule for class queues: `default` is the main queue itself (so a deployment from before
 * classes keeps its queue), every other class is `<main queue>-<class>`.
 */
export function classTaskQueue(mainQueue: string, resourceClass: ResourceClass): string {
  return resourceClass === DEFAULT_RESOURCE_CLASS ? mainQueue : `${mainQueue}-${resourceClass}`;
}

/** Every class's queue for a main queue, `default` first. */
export function classTaskQueues(mainQueue: string): Array<{ resourceClass: ResourceClass; taskQueue: string }> {
  return RESOURCE_CLASSES.map((resourceClass) => ({ resourceClass, taskQueue: classTaskQueue(mainQueue, resourceClass) }));
}

/**
 * The `taskQueue` option for a job's activities. A spec recorded before classes has no `resourceClass`:
 * its activities get no option at all, so that its history replays with exactly the commands it had.
 * The main queue is the workflow's own (`workflowInfo().taskQueue`): a spec names a class, not a queue, so
 * schedules and pipeline nodes, resolved without knowing the deployment's queue, follow the workflow.
 */
export function activityQueueOption(spec: { resourceClass?: string }, workflowQueue: string): { taskQueue?: string } {
  const resourceClass = spec.resourceClass;
  if (resourceClass === undefined || !isResourceClass(resourceClass)) return {};
  return { taskQueue: classTaskQueue(workflowQueue, resourceClass) };
}
