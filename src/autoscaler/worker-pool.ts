import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger';
import { EVERY_CLASS, workerCommand } from './worker-classes';

export interface WorkerPoolOptions {
  /** The class its workers serve, or EVERY_CLASS. */
  workerClass: string;
  /** The workers' environment (the autoscaler's own, with its overrides). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** First restart delay after a worker died; doubles per death in a row, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A worker that lived this long resets the restart delay. */
  stableAfterMs?: number;
  /** Told about every restart (the metrics count them). */
  onRestart?: () => void;
  /** The workers' stdout and stderr: the pool's own (default), or dropped. */
  output?: 'inherit' | 'ignore';
}

interface Member {
  child: ChildProcess;
  startedAt: number;
  draining: boolean;
  exited: Promise<void>;
}

/**
 * The worker processes of one class. `scaleTo(n)` starts workers or drains the newest ones with SIGTERM
 * (the worker finishes its in-flight attempts within JOBLINE_SHUTDOWN_GRACE_MS, then exits): never SIGKILL.
 * A worker that exits without being asked to is replaced after a backoff.
 */
export class WorkerPool {
  private readonly members = new Set<Member>();
  private pendingRestarts = 0;
  private deathsInARow = 0;
  private target = 0;
  private stopped = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Running workers not being drained, and replacements waiting for their backoff. */
  get actual(): number {
    return [...this.members].filter((m) => !m.draining).length + this.pendingRestarts;
  }

  get draining(): number {
    return [...this.members].filter((m) => m.draining).length;
  }

  pids(): number[] {
    return [...this.members].filter((m) => !m.draining).map((m) => m.child.pid ?? 0);
  }

  scaleTo(count: number): void {
    if (this.stopped) return;
    this.target = count;
    while (this.actual < count) this.start();
    const live = [...this.members].filter((m) => !m.draining).sort((a, b) => b.startedAt - a.startedAt);
    // A replacement still waiting for its backoff is the cheapest one to give up.
    while (this.actual > count && this.pendingRestarts > 0) this.pendingRestarts -= 1;
    for (const member of live.slice(0, Math.max(0, this.actual - count))) this.drain(member, 'scale down');
  }

  /** Drains every worker and waits for all of them to exit. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pendingRestarts = 0;
    for (const member of this.members) if (!member.draining) this.drain(member, 'autoscaler stopping');
    await Promise.all([...this.members].map((m) => m.exited));
  }

  private start(): void {
    const { workerClass } = this.options;
    const { command, args, env } = workerCommand(workerClass === EVERY_CLASS ? EVERY_CLASS : [workerClass]);
    const child = spawn(command, args, {
      env: { ...this.options.env, ...env },
      stdio: ['ignore', this.options.output ?? 'inherit', this.options.output ?? 'inherit'],
    });
    const member: Member = {
      child,
      startedAt: Date.now(),
      draining: false,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(this.onExit(member, code, signal)))),
    };
    this.members.add(member);
    this.options.logger.info({ workerClass: this.options.workerClass, pid: child.pid }, 'autoscaler started a worker');
  }

  private drain(member: Member, reason: string): void {
    member.draining = true;
    this.options.logger.info(
      { workerClass: this.options.workerClass, pid: member.child.pid, reason },
      'autoscaler draining a worker (SIGTERM)',
    );
    member.child.kill('SIGTERM');
  }

  private onExit(member: Member, code: number | null, signal: NodeJS.Signals | null): void {
    this.members.delete(member);
    const { workerClass, logger } = this.options;
    const lived = Date.now() - member.startedAt;
    if (member.draining) {
      logger.info({ workerClass, pid: member.child.pid, code, signal, livedMs: lived }, 'worker drained and exited');
      return;
    }
    if (this.stopped) return;
    if (lived >= (this.options.stableAfterMs ?? 60_000)) this.deathsInARow = 0;
    const base = this.options.restartDelayMs ?? 500;
    const delay = Math.min(this.options.maxRestartDelayMs ?? 30_000, base * 2 ** this.deathsInARow);
    this.deathsInARow += 1;
    logger.warn(
      { workerClass, pid: member.child.pid, code, signal, livedMs: lived, restartInMs: delay },
      'worker exited unexpectedly; restarting it',
    );
    this.pendingRestarts += 1;
    this.options.onRestart?.();
    setTimeout(() => {
      if (this.pendingRestarts === 0 || this.stopped) return; // scaled down meanwhile
      this.pendingRestarts -= 1;
      if (this.actual < this.target) this.start();
    }, delay).unref();
  }
}
