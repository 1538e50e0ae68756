import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../src/config';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/free-port';
import { BenchChild } from './children';
import { runCleanups } from './cli';
import { readProc } from './procfs';
import { round, summarize } from './stats';

/**
 * `npm run bench:sse`: what 200 open live-status streams cost the API. Starts a dev server on a temporary
 * database, a worker and an API process, and per phase: 200 long-running echo jobs, N streams on them, then
 * POST /v1/jobs at a fixed rate, timed from each request's scheduled send (no coordinated omission). Phases:
 * no streams, 200 streams on 200 jobs, 200 streams as 10 on each of 20 jobs, and no streams again (the noise).
 *
 * BENCH_SSE_RATE (POSTs per second, 25), BENCH_SSE_SECONDS (per phase, 30), BENCH_SSE_STREAMS (200),
 * BENCH_SSE_POLL_MS (the API's JOBLINE_SSE_POLL_MS, 1000), BENCH_SSE_DESCRIBES_PER_SEC (its JOBLINE_SSE_DESCRIBES_PER_SEC, 20).
 */
const RATE = Number(process.env.BENCH_SSE_RATE ?? 25);
const SECONDS = Number(process.env.BENCH_SSE_SECONDS ?? 30);
const STREAMS = Number(process.env.BENCH_SSE_STREAMS ?? 200);
const POLL_MS = process.env.BENCH_SSE_POLL_MS ?? '1000';
const DESCRIBES_PER_SEC = process.env.BENCH_SSE_DESCRIBES_PER_SEC ?? '20';
/** Long enough to outlast a phase (the echo job's most). */
const LONG_JOB_MS = 60_000;

interface Phase {
  name: string;
  /** Jobs watched, and streams on each. */
  watchedJobs: number;
  streamsPerJob: number;
}

interface PhaseResult {
  name: string;
  streams: number;
  watchers: number;
  posts: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  historyPollsPerSec: number;
  describesPerSec: number;
  eventsReceived: number;
  apiCpuPercent: number;
}

const log = (message: string) => process.stderr.write(`[bench:sse] ${message}\n`);

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void>> = [];
  process.once('SIGINT', () => void runCleanups(cleanups).finally(() => process.exit(130)));
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-bench-sse-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const server = await startDevServer({
      binary: loadConfig(process.env).embedded.cliPath,
      port: await freePort(),
      dbFile: path.join(dir, 'temporal.db'),
      startTimeoutMs: 120_000,
    });
    cleanups.push(() => server.stop());
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      JOBLINE_TASK_QUEUE: `bench-sse-${randomUUID().slice(0, 8)}`,
      JOBLINE_API_HOST: '127.0.0.1',
      JOBLINE_API_PORT: '0',
      JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: String(STREAMS + 200),
      JOBLINE_SSE_POLL_MS: POLL_MS,
      JOBLINE_SSE_DESCRIBES_PER_SEC: DESCRIBES_PER_SEC,
      LOG_LEVEL: 'warn',
    };
    const start = (name: string) => BenchChild.start({ name, script: name, env, logFile: path.join(dir, `${name}.log`) });
    const [worker, api] = await Promise.all([start('jobline-worker'), start('jobline-api')]);
    cleanups.push(
      () => api.stop(),
      () => worker.stop(),
    );
    const apiUrl = api.url!;
    const pool = new Pool(apiUrl, { connections: 20, pipelining: 1, keepAliveTimeout: 60_000 });
    cleanups.push(() => pool.close());
    log(`dev server ${server.address}, API ${apiUrl}; ${RATE} POST/s for ${SECONDS} s per phase`);

    await postRate(pool, RATE, 5); // warm-up: connections, bundles, caches
    const phases: Phase[] = [
      { name: 'no streams', watchedJobs: 0, streamsPerJob: 0 },
      { name: `${STREAMS} streams on ${STREAMS} running jobs`, watchedJobs: STREAMS, streamsPerJob: 1 },
      { name: `${STREAMS} streams: 10 on each of ${STREAMS / 10} jobs`, watchedJobs: STREAMS / 10, streamsPerJob: 10 },
      { name: 'no streams (again)', watchedJobs: 0, streamsPerJob: 0 },
    ];
    const results: PhaseResult[] = [];
    for (const phase of phases) {
      log(`phase: ${phase.name}`);
      results.push(await runPhase(pool, apiUrl, api.pid, phase));
    }
    printTable(results);
  } finally {
    await runCleanups(cleanups);
  }
}

async function runPhase(pool: Pool, apiUrl: string, apiPid: number, phase: Phase): Promise<PhaseResult> {
  // The same background in every phase: STREAMS jobs running (each heartbeats), watched or not.
  const jobs = await Promise.all(Array.from({ length: STREAMS }, () => submit(pool, { value: 0, sleepMs: LONG_JOB_MS })));
  await waitRunning(pool, jobs);
  const streams: OpenStream[] = [];
  const targets = jobs.slice(0, phase.watchedJobs).flatMap((id) => Array.from({ length: phase.streamsPerJob }, () => id));
  // Twenty at a time: each opening describes the job once (its access check), as a client's would.
  for (let i = 0; i < targets.length; i += 20) {
    const batch = targets.slice(i, i + 20).map((id) => openStream(apiUrl, id));
    await Promise.all(batch.map((s) => s.opened));
    streams.push(...batch);
  }
  await sleep(3_000); // the watchers' first reads settle
  const before = await scrape(apiUrl);
  const cpuBefore = readProc(apiPid)?.cpuMs ?? 0;
  const startedAt = Date.now();
  const latencies = await postRate(pool, RATE, SECONDS);
  const elapsedSec = (Date.now() - startedAt) / 1000;
  const after = await scrape(apiUrl);
  const cpuMs = (readProc(apiPid)?.cpuMs ?? 0) - cpuBefore;
  const eventsReceived = streams.reduce((sum, s) => sum + s.events(), 0);
  for (const s of streams) s.close();
  await Promise.all(jobs.map((id) => pool.request({ path: `/v1/jobs/${id}/cancel`, method: 'POST' }).then((r) => r.body.dump())));
  await sleep(3_000); // the cancellations run out before the next phase
  const ok = latencies.filter((l) => l.ok).map((l) => l.ms);
  const summary = summarize(ok);
  return {
    name: phase.name,
    streams: streams.length,
    watchers: after.watchers,
    posts: ok.length,
    errors: latencies.length - ok.length,
    p50: round(summary?.p50 ?? NaN),
    p99: round(summary?.p99 ?? NaN),
    max: round(summary?.max ?? NaN),
    historyPollsPerSec: round((after.historyPolls - before.historyPolls) / elapsedSec),
    describesPerSec: round((after.describes - before.describes) / elapsedSec),
    eventsReceived,
    apiCpuPercent: round((cpuMs / 1000 / elapsedSec) * 100),
  };
}

async function submit(pool: Pool, input: unknown): Promise<string> {
  const response = await pool.request({
    path: '/v1/jobs',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'echo', input }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 202) throw new Error(`POST /v1/jobs: ${response.statusCode} ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { id: string }).id;
}

async function waitRunning(pool: Pool, ids: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const id of ids) {
    for (;;) {
      const response = await pool.request({ path: `/v1/jobs/${id}`, method: 'GET' });
      const status = ((await response.body.json()) as { status: string }).status;
      if (status === 'running') break;
      if (Date.now() > deadline) throw new Error(`job ${id} not running after 60 s (${status})`);
      await sleep(100);
    }
  }
}

/** POSTs small echo jobs at `rate` per second for `seconds`; each latency counts from its scheduled send. */
async function postRate(pool: Pool, rate: number, seconds: number): Promise<Array<{ ms: number; ok: boolean }>> {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  const runs: Array<Promise<{ ms: number; ok: boolean }>> = [];
  for (let i = 0; i < total; i += 1) {
    const scheduled = t0 + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 0) await sleep(wait);
    runs.push(
      submit(pool, { value: i }).then(
        () => ({ ms: performance.now() - scheduled, ok: true }),
        () => ({ ms: performance.now() - scheduled, ok: false }),
      ),
    );
  }
  return Promise.all(runs);
}

interface OpenStream {
  opened: Promise<void>;
  events(): number;
  close(): void;
}

/** One raw event-stream reader (the cost is the server's: the client only counts frames). */
function openStream(apiUrl: string, id: string): OpenStream {
  const controller = new AbortController();
  let count = 0;
  const opened = fetch(`${apiUrl}/v1/jobs/${encodeURIComponent(id)}/events`, { signal: controller.signal }).then((response) => {
    if (response.status !== 200) throw new Error(`stream ${id}: ${response.status}`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        count += (decoder.decode(value, { stream: true }).match(/^event: /gm) ?? []).length;
      }
    })().catch(() => undefined);
  });
  return { opened, events: () => count, close: () => controller.abort() };
}

async function scrape(apiUrl: string): Promise<{ watchers: number; historyPolls: number; describes: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    watchers: value('jobline_live_watchers'),
    historyPolls: value('jobline_live_history_polls_total'),
    describes: value('jobline_live_describes_total'),
  };
}

function printTable(results: PhaseResult[]): void {
  const base = results[0]!.p99;
  const header = [
    'phase',
    'streams',
    'watchers',
    'POSTs',
    'errors',
    'p50 ms',
    'p99 ms',
    'max ms',
    'p99 vs first',
    'history polls/s',
    'describes/s',
    'events',
    'API CPU %',
  ];
  const rows = results.map((r) => [
    r.name,
    r.streams,
    r.watchers,
    r.posts,
    r.errors,
    r.p50,
    r.p99,
    r.max,
    `${round(((r.p99 - base) / base) * 100)} %`,
    r.historyPollsPerSec,
    r.describesPerSec,
    r.eventsReceived,
    r.apiCpuPercent,
  ]);
  const lines = [header, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  process.stdout.write(
    `\nPOST /v1/jobs at ${RATE}/s for ${SECONDS} s per phase, ${STREAMS} running echo jobs in every phase, JOBLINE_SSE_POLL_MS=${POLL_MS}, JOBLINE_SSE_DESCRIBES_PER_SEC=${DESCRIBES_PER_SEC}\n\n${lines.join('\n')}\n`,
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
