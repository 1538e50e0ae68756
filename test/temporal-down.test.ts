import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { listen, type RunningServer } from '../src/api/server';
import { PROJECT_ROOT } from '../src/config';
import { logger } from '../src/logger';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/free-port';
import { testEnv } from './support/temporal-env';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `temporal` process itself (not its sh watchdog), found by the unique gRPC port it was given. */
function temporalPid(port: number): number {
  const pids = execFileSync('pgrep', ['-f', `start-dev --ip 127.0.0.1 --port ${port} `])
    .toString()
    .trim()
    .split('\n')
    .map(Number);
  const server = pids.find((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sh');
  assert.ok(server, `no temporal process on port ${port} (pids ${pids.join(', ')})`);
  return server;
}

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const postJob = (baseUrl: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('when Temporal is down (issue 10, item 9)', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-temporal-down-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the API answers 503 with Retry-After within ~2 s, and recovers once the server is back, without a restart', async () => {
    const port = await freePort();
    const dbFile = path.join(dir, 'api.db');
    const servers: DevServer[] = [await startDevServer({ binary: testEnv().cliPath, port, dbFile })];
    const connection = await Connection.connect({ address: servers[0]!.address });
    let api: RunningServer | undefined;
    try {
      const app = createApp({
        client: new Client({ connection }),
        namespace: 'default',
        taskQueue: `down-${port}`,
        logger,
        bodyLimitBytes: 1024 * 1024,
        temporalDeadlineMs: 5_000,
        schedules: { minIntervalMs: 60_000, maxCount: 100 },
      });
      api = await listen(app, '127.0.0.1', 0);
      const job = { type: 'echo', input: { value: 'hello' } };
      assert.equal((await postJob(api.url, job)).status, 202);

      process.kill(temporalPid(port), 'SIGKILL');
      await servers[0]!.exited;

      let started = Date.now();
      const refused = await postJob(api.url, job);
      const elapsed = Date.now() - started;
      assert.equal(refused.status, 503, await refused.clone().text());
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await refused.json()) as { type: string }).type, '/problems/temporal-unavailable');
      assert.ok(Number(refused.headers.get('retry-after')) > 0, `Retry-After: ${refused.headers.get('retry-after')}`);
      assert.ok(elapsed < 3_000, `the 503 took ${elapsed} ms`);

      // Known down now: the next ones are quicker still, and /readyz agrees.
      started = Date.now();
      assert.equal((await postJob(api.url, job)).status, 503);
      assert.ok(Date.now() - started < 2_000, `the second 503 took ${Date.now() - started} ms`);
      const ready = await fetch(`${api.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.ok(ready.headers.get('retry-after'));

      servers.push(await startDevServer({ binary: testEnv().cliPath, port, dbFile }));
      const accepted = await until('a submission after the restart', 30_000, async () => {
        const reply = await postJob(api!.url, job, { 'idempotency-key': `after-restart-${port}` });
        return reply.status === 202 ? reply : undefined;
      });
      assert.equal(accepted.headers.get('idempotency-key'), `after-restart-${port}`, 'the 202 echoes the key');
      assert.equal((await fetch(`${api.url}/readyz`)).status, 200);
    } finally {
      await api?.close();
      // A call abandoned by a 503 runs out its deadline (5 s) before the connection may close under it.
      await sleep(5_500);
      await connection.close();
      for (const server of servers) await server.stop();
    }
  });

  it('`npm start` restarts its embedded server when it dies, and jobs run again', async () => {
    const [apiPort, port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const baseUrl = `http://127.0.0.1:${apiPort}`;
    const child: ChildProcess = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: '',
        TEMPORAL_CLI_PATH: testEnv().cliPath,
        JOBLINE_DATA_DIR: path.join(dir, 'main'),
        JOBLINE_ARTIFACT_DIR: path.join(dir, 'artifacts'),
        JOBLINE_API_PORT: String(apiPort),
        JOBLINE_TEMPORAL_PORT: String(port),
        JOBLINE_TEMPORAL_UI_PORT: String(uiPort),
        JOBLINE_TEMPORAL_METRICS_PORT: String(metricsPort),
        JOBLINE_WORKER_METRICS_PORT: '0',
        JOBLINE_WORKER_SDK_METRICS_PORT: '0',
        JOBLINE_TASK_QUEUE: `down-main-${port}`,
        JOBLINE_SHUTDOWN_GRACE_MS: '1000',
        LOG_LEVEL: 'warn',
      },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const readyz = async () => (await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) })).status;
    try {
      await until('npm start ready', 60_000, async () => ((await readyz()) === 200 ? true : undefined));

      const killed = temporalPid(port);
      process.kill(killed, 'SIGKILL');
      // The restart takes a second or two, too quick to be sure to catch /readyz at 503: follow the log instead.
      await until('the restart', 30_000, async () =>
        /exited unexpectedly; restarting it[\s\S]*server is back/.test(output) ? true : undefined,
      );
      await until('readyz 200 after the restart', 30_000, async () => ((await readyz()) === 200 ? true : undefined));

      const submitted = await until('a submission after the restart', 15_000, async () => {
        const reply = await postJob(baseUrl, { type: 'echo', input: { value: 'after the restart' } });
        return reply.status === 202 ? ((await reply.json()) as { id: string }) : undefined;
      });
      const completed = await until('the job completed', 30_000, async () => {
        const view = (await (await fetch(`${baseUrl}/v1/jobs/${submitted.id}`)).json()) as { status: string; result?: unknown };
        return view.status === 'completed' ? view : undefined;
      });
      assert.deepEqual(completed.result, { value: 'after the restart' });
      assert.notEqual(temporalPid(port), killed, 'a new server process');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- npm start output ---\n${output.slice(-4_000)}`);
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') child.kill('SIGKILL');
    }
  });
});
