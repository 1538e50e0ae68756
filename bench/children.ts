import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FromChild, StartEntry, ToChild } from './ipc';

export interface ForkOptions {
  /** Script under bench/processes/, without the extension. */
  script: string;
  name: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr of the child go here (its logs), not through the bench. */
  logFile: string;
  /** Write a V8 CPU profile into this directory when the process exits. */
  cpuProfileDir?: string;
  readyTimeoutMs?: number;
}

/** A process the bench forked, running TypeScript through tsx, talking over IPC. */
export class BenchChild {
  readonly url?: string;
  private readonly pending: Array<(message: FromChild) => boolean> = [];

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    url?: string,
  ) {
    this.url = url;
    child.on('message', (message: FromChild) => {
      const index = this.pending.findIndex((accept) => accept(message));
      if (index >= 0) this.pending.splice(index, 1);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(options: ForkOptions): Promise<BenchChild> {
    const log = fs.openSync(options.logFile, 'a');
    const execArgv = ['--import', 'tsx'];
    // One directory per process: worker threads (the SDK runs workflows in them) write profiles of their own.
    if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfileDir, options.name)}`);
    const child = fork(path.join(__dirname, 'processes', `${options.script}.ts`), [], {
      execArgv,
      env: options.env,
      stdio: ['ignore', log, log, 'ipc'],
    });
    fs.closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timeoutMs = options.readyTimeoutMs ?? 180_000;
    const ready = await new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name} not ready within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: FromChild) => {
        if (message.type !== 'ready' && message.type !== 'fatal') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited with code ${code} during start-up; see ${options.logFile}:\n${tail(options.logFile)}`));
      });
    }).catch((err: unknown) => {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw err;
    });
    if (ready.type === 'fatal') {
      child.kill('SIGKILL');
      throw new Error(`${options.name} failed to start: ${ready.message}`);
    }
    return new BenchChild(options.name, options.logFile, child, exited, ready.type === 'ready' ? ready.url : undefined);
  }

  /** Activity (or processor) start times noted since the last call. */
  collectStarts(timeoutMs = 30_000): Promise<StartEntry[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not report start times`)), timeoutMs);
      this.pending.push((message) => {
        if (message.type !== 'starts') return false;
        clearTimeout(timer);
        resolve(message.entries);
        return true;
      });
      this.post({ type: 'collect-starts' });
    });
  }

  /** How many starts were noted since the last collectStarts (cheap: no entries cross the channel). */
  countStarts(timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not report its start count`)), timeoutMs);
      this.pending.push((message) => {
        if (message.type !== 'start-count') return false;
        clearTimeout(timer);
        resolve(message.count);
        return true;
      });
      this.post({ type: 'count-starts' });
    });
  }

  /** Graceful stop; SIGKILL after the timeout. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.post({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private post(message: ToChild): void {
    if (this.child.connected) this.child.send(message);
  }
}

function tail(file: string, bytes = 4000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}
