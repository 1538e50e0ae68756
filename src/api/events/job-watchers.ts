import type { WorkflowExecutionDescription } from '@temporalio/client';
import { JobWatcher, type Listener, type WatcherDeps } from './job-watcher';

/** The watchers of this API process, one per watched job, however many clients watch it. */
export class JobWatchers {
  private readonly watchers = new Map<string, JobWatcher>();

  constructor(private readonly deps: WatcherDeps) {}

  /**
   * Subscribes to a job's live status. `description` is the caller's own describe of the job (its access
   * check): a new watcher reads the history up to it before it calls events live.
   */
  subscribe(id: string, description: WorkflowExecutionDescription, listener: Listener): { watcher: JobWatcher; unsubscribe: () => void } {
    let watcher = this.watchers.get(id);
    if (!watcher) {
      watcher = new JobWatcher(id, description, this.deps, (stopped) => {
        if (this.watchers.get(id) === stopped) this.watchers.delete(id);
      });
      this.watchers.set(id, watcher);
      watcher.start();
    }
    this.deps.metrics.subscribers.inc();
    const unsubscribeWatcher = watcher.subscribe(listener);
    let subscribed = true;
    return {
      watcher,
      unsubscribe: () => {
        if (!subscribed) return;
        subscribed = false;
        this.deps.metrics.subscribers.dec();
        unsubscribeWatcher();
      },
    };
  }

  get size(): number {
    return this.watchers.size;
  }
}
