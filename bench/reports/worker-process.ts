import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { PROJECT_ROOT } from '../../src/config';

/** A Jobline worker (`src/worker.ts`) as its own process, resolved once it logs that it polls. */
export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Highest RSS (MB) seen by `sample()` since start. */
  peakRssMb: number;
  sample(): void;
  rssMb(): number;
  kill(): Promise<void>;
}

/** 0 once the process is gone. */
export function rssMbOf(pid: number): number {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/worker.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('"worker started"')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it started`)));
  });
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    peakRssMb: 0,
    rssMb: () => rssMbOf(child.pid!),
    sample() {
      if (child.exitCode === null && child.signalCode === null) worker.peakRssMb = Math.max(worker.peakRssMb, worker.rssMb());
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
  return worker;
}
