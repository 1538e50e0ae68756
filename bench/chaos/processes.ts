import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config';

/** `src/api/main.ts` under Node itself (SIGKILL reaches it), on a fixed port so that a restart keeps its URL. */
export interface ApiProcess {
  url: string;
  pid(): number;
  /** SIGKILL (a crash), then a new process on the same port; resolves once /readyz answers 200. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startApiProcess(port: number, env: NodeJS.ProcessEnv): Promise<ApiProcess> {
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/api/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...env, JOBLINE_API_PORT: String(port) },
      stdio: 'ignore',
    });
    await waitReady(url, child);
  };
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve()));
  await launch();
  return {
    url,
    pid: () => child.pid ?? 0,
    async crashAndRestart() {
      const old = child;
      old.kill('SIGKILL');
      await exited(old);
      await launch();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited with code ${child.exitCode} during start-up`);
    try {
      if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the API did not get ready at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
