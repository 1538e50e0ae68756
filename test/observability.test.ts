import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { freePort } from '../src/temporal/free-port';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';
import { spawnWorker } from './support/worker-process';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/** The PromQL of every panel of deploy/grafana/jobline-dashboard.json. */
function dashboardQueries(): string[] {
  const file = path.join(PROJECT_ROOT, 'deploy', 'grafana', 'jobline-dashboard.json');
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { uid: string; panels: Array<{ targets?: Array<{ expr: string }> }> };
  assert.equal(dashboard.uid, 'jobline');
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

/**
 * A worker process with its two metrics ports, an API in this process, and (where Debian's prometheus is
 * installed, as `.ci/run` makes sure) a real Prometheus server scraping all three.
 */
describe('observability: worker metrics and a real Prometheus', function () {
  this.timeout(120_000);
  let stack: Stack;
  let worker: ChildProcess;
  let target: Target;
  let workerPort: number;
  let sdkPort: number;
  let completedId: string;
  let parkedId: string;

  before(async () => {
    stack = await startStack({ worker: false });
    [workerPort, sdkPort] = [await freePort(), await freePort()];
    worker = spawnWorker(stack.taskQueue, {
      JOBLINE_ALLOW_PRIVATE_TARGETS: '1',
      JOBLINE_WORKER_METRICS_PORT: String(workerPort),
      JOBLINE_WORKER_SDK_METRICS_PORT: String(sdkPort),
    });
    target = await startTarget([500]);
    completedId = (await stack.submit({ type: 'echo', input: { value: 'observed' } })).body.id;
    parkedId = (await stack.submit({ type: 'http', input: { url: target.url }, maxAttempts: 1 })).body.id;
    await stack.waitFor(completedId, (job) => job.status === 'completed', 90_000);
    await stack.waitFor(parkedId, (job) => job.status === 'dead_lettered', 30_000);
  });

  after(async () => {
    worker?.kill('SIGTERM');
    await stack?.stop();
    await target?.close();
  });

  it('the worker serves its attempt series: outcomes, run time and queue wait', async () => {
    const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    assert.equal(sample(text, 'jobline_attempts_total', { type: 'echo', outcome: 'succeeded' }), 1);
    assert.equal(sample(text, 'jobline_attempts_total', { type: 'http', outcome: 'failed_retryable' }), 1);
    assert.equal(sample(text, 'jobline_queue_wait_seconds_count', { type: 'echo' }), 1);
    assert.equal(sample(text, 'jobline_attempt_duration_seconds_count', { type: 'echo', outcome: 'succeeded' }), 1);
    assert.ok(!text.includes(completedId));
  });

  it('the SDK port serves the workflows’ transitions and end-to-end time, and the SDK’s own series', async () => {
    // Core exports on its own schedule: wait for the workflow's counters to show up.
    const text = await until('workflow series on the SDK port', 30_000, async () => {
      const body = await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text();
      return sample(body, 'jobline_jobs_ended_total', { type: 'http', status: 'dead_lettered' }) === 1 ? body : undefined;
    });
    assert.equal(sample(text, 'jobline_jobs_ended_total', { type: 'echo', status: 'completed' }), 1);
    assert.equal(sample(text, 'jobline_job_end_to_end_seconds_count', { type: 'echo', status: 'completed' }), 1);
    assert.ok(sample(text, 'jobline_job_end_to_end_seconds_bucket', { type: 'echo', le: '3600' }) === 1, 'job-length buckets');
    assert.match(text, /^temporal_activity_schedule_to_start_latency/m);
    assert.match(text, /^temporal_num_pollers/m);
  });

  it('every query of the Grafana dashboard names only series Jobline exports', async () => {
    const exported = new Set<string>();
    for (const url of [`${stack.baseUrl}/metrics`, `http://127.0.0.1:${workerPort}/metrics`, `http://127.0.0.1:${sdkPort}/metrics`]) {
      const text = await (await fetch(url)).text();
      for (const match of text.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
        const [, name, kind] = match;
        exported.add(name!);
        if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
        if (kind === 'counter' && !name!.endsWith('_total')) exported.add(`${name}_total`);
      }
    }
    const dashboard = dashboardQueries();
    assert.ok(dashboard.length >= 12, `${dashboard.length} queries`);
    const named = [...new Set(dashboard.flatMap((expr) => [...expr.matchAll(/\bjobline_[a-z_]+\b/g)].map((m) => m[0])))];
    assert.ok(named.length >= 10);
    assert.deepEqual(
      named.filter((name) => !exported.has(name)),
      [],
      'dashboard series that no Jobline process exports',
    );
  });

  (existsSync(PROMETHEUS) || process.env.CI ? it : it.skip)(
    'Prometheus scrapes the API and the worker, and answers queries over them',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'jobline-prometheus-'));
      const port = await freePort();
      const api = new URL(stack.baseUrl).host;
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'scrape_configs:',
          `  - { job_name: jobline-api, static_configs: [{ targets: ['${api}'] }] }`,
          `  - { job_name: jobline-worker, static_configs: [{ targets: ['127.0.0.1:${workerPort}', '127.0.0.1:${sdkPort}'] }] }`,
          '',
        ].join('\n'),
      );
      const server = spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      const query = async (promql: string) => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await response.json()) as {
          status: string;
          data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        };
        assert.equal(body.status, 'success');
        return body.data.result;
      };
      const value = async (promql: string) => {
        const result = await query(promql);
        return result.length === 0 ? undefined : Number(result[0]!.value[1]);
      };
      try {
        await until('every target up', 60_000, async () => ((await value('sum(up)')) === 3 ? true : undefined));
        await until('the submission counter', 30_000, () => value('sum(jobline_submissions_total{outcome="accepted"})'));
        assert.equal(await value('sum(jobline_submissions_total{outcome="accepted"})'), 2);
        assert.equal(await value('sum(jobline_jobs_ended_total{status="completed", type="echo"})'), 1);
        assert.equal(await value('sum(jobline_jobs_ended_total{status="dead_lettered", type="http"})'), 1);
        assert.ok(((await value('sum(jobline_dead_letters{type="http"})')) ?? 0) >= 1, 'the dead-letter gauge');
        assert.equal(await value('sum(jobline_queue_wait_seconds_count{type="echo"})'), 1);
        const p99 = await value('histogram_quantile(0.99, sum by (le) (jobline_queue_wait_seconds_bucket))');
        assert.ok(p99 !== undefined && p99 >= 0, `queue-wait p99 ${p99}`);
      } finally {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.once('exit', resolve));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
