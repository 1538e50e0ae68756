import type { State, Worker } from '@temporalio/worker';
import type { ResourceClass } from '../jobs/resource-classes';

/** One Temporal Worker of a pool: the class it serves and its task queue. */
export interface ClassWorker {
  resourceClass: ResourceClass;
  taskQueue: string;
  worker: Worker;
}

/**
 * The Workers of one process, one per resource class, run and stopped as one: `run` resolves once all have
 * stopped (SIGINT/SIGTERM reach every Worker through the SDK's Runtime, each draining its in-flight
 * attempts), and if one fails the others are shut down and the failure is rethrown, so that a process never
 * goes on serving only part of what it was asked to.
 */
export class WorkerPool {
  constructor(readonly workers: readonly ClassWorker[]) {
    if (workers.length === 0) throw new Error('a worker pool needs at least one resource class');
  }

  async run(): Promise<void> {
    let failure: unknown;
    await Promise.all(
      this.workers.map(({ worker }) =>
        worker.run().catch((err: unknown) => {
          failure ??= err;
          this.shutdown();
        }),
      ),
    );
    if (failure !== undefined) throw failure;
  }

  /** Starts a graceful shutdown of every Worker still running (each drains for its shutdownGraceTime). */
  shutdown(): void {
    for (const { worker } of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** RUNNING while any Worker runs; otherwise the first one's state. */
  getState(): State {
    const states = this.workers.map(({ worker }) => worker.getState());
    return states.includes('RUNNING') ? 'RUNNING' : states[0]!;
  }
}
