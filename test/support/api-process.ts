import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../src/temporal/free-port';
import { spawnEntryPoint } from './worker-process';

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `src/api/main.ts` (what `npm run api` runs) as a process of its own, on a free port; resolves once /readyz is 200. */
export async function spawnApi(
  taskQueue: string,
  env: Record<string, string> = {},
  options: { pipeOutput?: boolean } = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawnEntryPoint('src/api/main.ts', taskQueue, { ...env, JOBLINE_API_PORT: String(port) }, options);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited with code ${child.exitCode} during start-up`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { url, child, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the API process did not get ready at ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
