import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../config';
import type { Logger } from '../logger';
import type { SupervisorMessage } from './supervisor-ipc';

/** Waits between a child's unexpected exit and its restart; the last one repeats. */
export const CHILD_RESTART_BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];
/** A child that ran this long before it died starts the backoff over. */
const STABLE_AFTER_MS = 60_000;

export interface ChildSpec {
  /** What the log lines call it: `worker`, `api`. */
  name: string;
  /** The entry point's path (`src/worker.ts`, or the built `.js`). */
  entry: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * One Jobline entry point run as a child process and restarted, with backoff, whenever it exits without
 * being asked to. The child is the node process itself (tsx as a `--require` hook, not the tsx CLI, whose
 * wrapper would outlive a SIGKILL of the child), in a process group of its own: a Ctrl-C in the terminal
 * reaches only the supervisor, which asks each child once (a second signal would cut a worker's drain
 * short). A child whose supervisor dies shuts itself down (`followSupervisor`).
 */
export class SupervisedChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readyListeners: Array<(message: SupervisorMessage) => void> = [];
  /** Resolves with the first `ready` message of the first run. */
  readonly firstReady: Promise<SupervisorMessage>;

  constructor(
    private readonly spec: ChildSpec,
    private readonly log: Logger,
  ) {
    this.firstReady = new Promise((resolve) => this.readyListeners.push(resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { entry, args = [], env, name } = this.spec;
    const loader = entry.endsWith('.ts') ? ['--require', 'tsx/cjs'] : [];
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...loader, entry, ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    this.child = child;
    this.log.info({ child: name, pid: child.pid }, `${name} started`);
    child.on('message', (message: SupervisorMessage) => {
      if (message?.type !== 'ready') return;
      this.log.info({ child: name, pid: child.pid }, `${name} ready`);
      const listeners = this.readyListeners;
      this.readyListeners = [];
      for (const listener of listeners) listener(message);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (Date.now() - startedAt >= STABLE_AFTER_MS) this.failures = 0;
      const delayMs = CHILD_RESTART_BACKOFF_MS[Math.min(this.failures, CHILD_RESTART_BACKOFF_MS.length - 1)]!;
      this.failures += 1;
      this.log.warn({ child: name, code, signal, delayMs, restart: this.failures }, `the ${name} exited unexpectedly; restarting it`);
      this.restartTimer = setTimeout(() => this.start(), delayMs);
    });
  }

  /**
   * Stops restarting, sends SIGTERM (the child drains) and waits for the exit; SIGKILL after `forceAfterMs`.
   */
  async stop(forceAfterMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const force = setTimeout(() => {
      this.log.warn({ child: this.spec.name, pid: child.pid }, `the ${this.spec.name} did not stop in time; killing it`);
      child.kill('SIGKILL');
    }, forceAfterMs);
    await exited;
    clearTimeout(force);
  }
}
