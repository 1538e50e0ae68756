import { parseArgs } from 'node:util';
import { ConfigError } from '../config';
import type { ResourceClass } from '../jobs/resource-classes';
import { ClassList } from './per-class';

/**
 * `npm run worker -- --queues reports,io`: the resource classes to serve, overriding JOBLINE_WORKER_QUEUES;
 * undefined without the flag. An unknown flag or class is a ConfigError (a typo must not start a worker
 * that serves nothing it was meant to).
 */
export function workerClassesFromArgs(args: string[]): ResourceClass[] | undefined {
  let values: { queues?: string };
  try {
    ({ values } = parseArgs({ args, options: { queues: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError([`worker arguments: ${(err as Error).message} (usage: --queues <class,class…>)`]);
  }
  if (values.queues === undefined) return undefined;
  const parsed = ClassList.safeParse(values.queues);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `--queues: ${issue.message}`));
  return parsed.data;
}
