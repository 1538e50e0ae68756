import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { freePort } from '../src/temporal/free-port';
import { testEnv } from './support/temporal-env';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** The child of `parent` that runs `entry` (pgrep -P: children only, so other suites' workers never match). */
function childPid(parent: number, entry: string): number | undefined {
  try {
    const pids = execFileSync('pgrep', ['-P', String(parent), '-f', entry])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean);
    return pids.length > 0 ? Number(pids[0]) : undefined;
  } catch {
    return undefined; // pgrep exits 1 when nothing matches
  }
}

describe('`npm start` supervises the worker and the API (issue 16)', function () {
  this.timeout(150_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-supervised-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a SIGKILLed worker is restarted while the API keeps answering, and a job submitted meanwhile completes', async () => {
    const [apiPort, port, uiPort, metricsPort, workerMetricsPort] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
    const baseUrl = `http://127.0.0.1:${apiPort}`;
    // node itself with tsx as a hook (what `npm start` runs, minus the tsx CLI's wrapper): its children are ours.
    const main: ChildProcess = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: '',
        TEMPORAL_CLI_PATH: testEnv().cliPath,
        JOBLINE_DATA_DIR: path.join(dir, 'data'),
        JOBLINE_ARTIFACT_DIR: path.join(dir, 'artifacts'),
        JOBLINE_API_PORT: String(apiPort),
        JOBLINE_TEMPORAL_PORT: String(port),
        JOBLINE_TEMPORAL_UI_PORT: String(uiPort),
        JOBLINE_TEMPORAL_METRICS_PORT: String(metricsPort),
        JOBLINE_WORKER_METRICS_PORT: String(workerMetricsPort),
        // 0: a free port, chosen once by the supervisor, so that the restarted worker binds the same one.
        JOBLINE_WORKER_SDK_METRICS_PORT: '0',
        JOBLINE_TASK_QUEUE: `supervised-${port}`,
        JOBLINE_SHUTDOWN_GRACE_MS: '1000',
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    main.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    main.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => main.once('exit', (code) => resolve(code)));
    const readyz = async () => (await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) })).status;
    const workerMetrics = async () =>
      (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) })).status;
    try {
      await until('the banner', 90_000, async () => (output.includes('Jobline is running') ? true : undefined));
      assert.match(output, new RegExp(`API: +http://127\\.0\\.0\\.1:${apiPort}`));
      assert.match(output, /Processes: +supervised processes: worker pid \d+, API pid \d+/);
      assert.match(output, new RegExp(`http://127\\.0\\.0\\.1:${workerMetricsPort}/metrics \\(worker\\)`));
      assert.equal(await readyz(), 200);
      assert.equal(await workerMetrics(), 200);

      const worker = childPid(main.pid!, 'src/worker.ts');
      const api = childPid(main.pid!, 'src/api/main.ts');
      assert.ok(worker && api, `children of ${main.pid}: worker ${worker}, api ${api}`);
      process.kill(worker, 'SIGKILL');

      // The worker is gone; the API is not.
      assert.equal(await readyz(), 200, '/readyz during the outage');
      const submitted = await fetch(`${baseUrl}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'echo', input: { value: 'during the outage' } }),
      });
      assert.equal(submitted.status, 202);
      const { id } = (await submitted.json()) as { id: string };

      const restarted = await until('a new worker process', 30_000, async () => {
        const pid = childPid(main.pid!, 'src/worker.ts');
        return pid !== undefined && pid !== worker ? pid : undefined;
      });
      assert.match(output, /the worker exited unexpectedly; restarting it/);
      const completed = await until('the job completed', 60_000, async () => {
        const view = (await (await fetch(`${baseUrl}/v1/jobs/${id}`)).json()) as { status: string; result?: unknown };
        return view.status === 'completed' ? view : undefined;
      });
      assert.deepEqual(completed.result, { value: 'during the outage' });
      assert.equal(childPid(main.pid!, 'src/api/main.ts'), api, 'the API process was never restarted');
      await until('worker metrics on the same port', 20_000, async () => ((await workerMetrics()) === 200 ? true : undefined));
      assert.equal(output.split('Jobline is running').length - 1, 1, 'the banner once');

      // Ctrl-C (SIGTERM here): the worker drains, the API stops, the server stops, and nothing is left behind.
      main.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(40_000).then(() => 'timeout' as const)]);
      assert.equal(code, 0, 'npm start exits 0 after a graceful stop');
      for (const pid of [restarted, api]) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} is gone`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- npm start output ---\n${output.slice(-4_000)}`);
    } finally {
      if (main.exitCode === null && main.signalCode === null) {
        main.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
        if (code === 'timeout') main.kill('SIGKILL');
      }
    }
  });
});
