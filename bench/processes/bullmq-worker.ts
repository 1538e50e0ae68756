import { Worker } from 'bullmq';
import { StartClock, failAndExit, send, serveBench } from '../ipc';

/**
 * A BullMQ worker with the same concurrency as the Temporal workers' activity slots. Its processor is the
 * trivial job: note the start, return the value.
 */
async function main(): Promise<void> {
  const queueName = required('BENCH_BULLMQ_QUEUE');
  const concurrency = Number(required('BENCH_BULLMQ_CONCURRENCY'));
  const connection = { host: required('BENCH_REDIS_HOST'), port: Number(required('BENCH_REDIS_PORT')) };
  const clock = new StartClock();
  const worker = new Worker<{ value?: unknown }, { value: unknown }>(
    queueName,
    async (job) => {
      clock.note(job.id ?? '');
      return { value: job.data.value ?? null };
    },
    { connection, concurrency },
  );
  worker.on('error', (err) => process.stderr.write(`bullmq worker error: ${String(err)}\n`));
  await worker.waitUntilReady();
  serveBench(clock, () => worker.close());
  send({ type: 'ready' });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch(failAndExit);
