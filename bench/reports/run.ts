import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import type { JobView } from '../../src/api/job-view';
import { listen } from '../../src/api/server';
import { createArtifactStore } from '../../src/artifacts';
import { DEFAULT_CLI_PATH, PROJECT_ROOT, loadConfig } from '../../src/config';
import { dataConverterFor } from '../../src/temporal/codec/data-converter';
import { logger } from '../../src/logger';
import { seedDemo } from '../../src/reports/demo/seed';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { prepareNamespace } from '../../src/temporal/namespace-setup';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

/**
 * `npm run bench:report -- [--rows 1000000] [--sources csv,postgres] [--no-crash] [--repeat N]`
 *
 * The sales-summary report over the same N seeded rows, per source, three ways:
 *   (a) ceiling  the source reader + aggregation in a plain process (bench/reports/ceiling.ts)
 *   (b) jobline  submit over HTTP → worker process → artifacts stored → GET says completed
 *   (c) crash    as (b) with a second worker polling; the worker running the report is SIGKILLed at ~40%
 * Prints rows/s, the ratio b/a, the worker's peak RSS, and the time the crash cost.
 */
const HEARTBEAT_TIMEOUT_MS = 2_000;
const run = promisify(execFile);

interface Measured {
  ms: number;
  peakRssMb: number;
  attempts?: number;
  rowsAfterCrash?: number;
  /** From the SIGKILL to the moment the API shows the second attempt running. */
  resumeAfterMs?: number;
  /** `attempt:resumedFrom+rows` per attempt, from the result's stats. */
  attemptRows?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      sources: { type: 'string', default: 'csv,postgres' },
      'no-crash': { type: 'boolean', default: false },
      // Crash runs per source: the figure is noisy on a shared machine, so take several.
      repeat: { type: 'string', default: '1' },
    },
  });
  const rows = Number(values.rows);
  const sources = values.sources.split(',') as ('csv' | 'postgres')[];
  logger.level = 'warn';
  const config = loadConfig();
  const sourceDir = config.reports.sourceDir;
  const csvName = `bench-${rows}.csv`;
  const table = `bench_orders_${rows}`;
  process.stderr.write(`seeding ${rows} rows → ${path.join(sourceDir, csvName)} and table ${table}\n`);
  await seedDemo({
    rows,
    seed: 42,
    csvFile: path.join(sourceDir, csvName),
    table: sources.includes('postgres') ? table : undefined,
    databaseUrl: config.reports.databaseUrl,
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-bench-reports-'));
  const server = await startDevServer({ binary: DEFAULT_CLI_PATH, port: await freePort(), dbFile: path.join(tmp, 'temporal.db') });
  const connection = await Connection.connect({ address: server.address });
  await prepareNamespace(connection, 'default', logger);
  const client = new Client({ connection, dataConverter: dataConverterFor(config.encryption) });
  const taskQueue = `bench-reports-${randomUUID()}`;
  const env = {
    TEMPORAL_ADDRESS: server.address,
    JOBLINE_TASK_QUEUE: taskQueue,
    JOBLINE_REPORT_SOURCE_DIR: sourceDir,
    JOBLINE_ARTIFACT_DIR: path.join(tmp, 'artifacts'),
    // Two workers run at once in (c): each takes free metrics ports.
    JOBLINE_WORKER_METRICS_PORT: '0',
    JOBLINE_WORKER_SDK_METRICS_PORT: '0',
  };
  const app = createApp({
    client,
    namespace: 'default',
    taskQueue,
    logger,
    bodyLimitBytes: 1 << 20,
    artifacts: createArtifactStore({ store: 'fs', dir: env.JOBLINE_ARTIFACT_DIR }),
  });
  const api = await listen(app, '127.0.0.1', 0);
  const workers: WorkerProcess[] = [];
  const table_: string[] = [];
  try {
    for (const kind of sources) {
      const source = kind === 'csv' ? { type: 'csv', path: csvName } : { type: 'postgres', table };
      const ceiling = JSON.parse(
        (
          await run(
            process.execPath,
            [
              '--require',
              'tsx/cjs',
              'bench/reports/ceiling.ts',
              '--source',
              JSON.stringify(source),
              '--source-dir',
              sourceDir,
              '--database-url',
              config.reports.databaseUrl,
            ],
            { cwd: PROJECT_ROOT },
          )
        ).stdout,
      ) as { rows: number; ms: number; peakRssMb: number };

      const worker = await startWorkerProcess(env);
      workers.push(worker);
      const idleRss = worker.rssMb();
      const jobline = await runJob(api.url, source, [worker]);
      await worker.kill();

      const crashes: Measured[] = [];
      for (let i = 0; !values['no-crash'] && i < Number(values.repeat); i += 1) {
        const pair = [await startWorkerProcess(env), await startWorkerProcess(env)];
        workers.push(...pair);
        try {
          crashes.push(await runJob(api.url, source, pair, { client, killAtFraction: 0.4, killAfterMs: jobline.ms * 0.6 }));
        } catch (err) {
          // A run a little quicker than (b) can end before the kill: not a figure, and not a reason to stop.
          if (!(err instanceof FinishedBeforeKill)) throw err;
          process.stderr.write(`${kind}: crash run ${i + 1} finished before the kill; not counted\n`);
        }
        await Promise.all(pair.map((w) => w.kill()));
      }
      const crash = crashes.at(-1);
      const costs = crashes.map((c) => (c.ms - jobline.ms) / 1000).sort((a, b) => a - b);
      const median = costs[Math.floor(costs.length / 2)];
      const rate = (ms: number) => Math.round(rows / (ms / 1000));
      table_.push(
        [
          `| ${kind} | ${rows.toLocaleString('en-US')}`,
          `${rate(ceiling.ms).toLocaleString('en-US')} rows/s (${(ceiling.ms / 1000).toFixed(1)} s, ${ceiling.peakRssMb.toFixed(0)} MB)`,
          `${rate(jobline.ms).toLocaleString('en-US')} rows/s (${(jobline.ms / 1000).toFixed(1)} s)`,
          (ceiling.ms / jobline.ms).toFixed(2),
          `${idleRss.toFixed(0)} → ${jobline.peakRssMb.toFixed(0)} MB`,
          crash
            ? `${crashes.length > 1 ? `runs +${costs.map((c) => c.toFixed(1)).join(', +')} s, median +${median?.toFixed(1)} s; last: ` : ''}${(crash.ms / 1000).toFixed(1)} s (+${((crash.ms - jobline.ms) / 1000).toFixed(1)} s, goal ≤ +${(HEARTBEAT_TIMEOUT_MS + 2_000) / 1000} s: ${crash.ms - jobline.ms <= HEARTBEAT_TIMEOUT_MS + 2_000 ? 'met' : 'missed'}); attempt 2 running ${((crash.resumeAfterMs ?? 0) / 1000).toFixed(1)} s after the kill, read ${crash.rowsAfterCrash?.toLocaleString('en-US')} rows (attempt: resumed from + read: ${crash.attemptRows})`
            : 'skipped',
        ].join(' | ') + ' |',
      );
    }
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await api.close();
    await connection.close();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const lines = [
    '',
    `worker: sticky timeout ${config.worker.stickyTimeoutMs} ms (JOBLINE_WORKER_STICKY_TIMEOUT_MS), heartbeat throttle ≤ ${config.worker.maxHeartbeatThrottleMs} ms (JOBLINE_WORKER_MAX_HEARTBEAT_THROTTLE_MS), checkpoint every ${config.reports.checkpointIntervalMs} ms`,
    `report: sales-summary; machine: ${os.cpus().length} CPUs, load average ${os.loadavg()[0]?.toFixed(1)}; crash: SIGKILL once the API shows 40% of the rows done (or at 60% of (b)'s time), heartbeat timeout ${HEARTBEAT_TIMEOUT_MS / 1000} s`,
    '| source | rows | (a) plain script | (b) through Jobline | b/a | worker RSS idle → peak (b) | (c) with a crash |',
    '|---|---|---|---|---|---|---|',
    ...table_,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

class FinishedBeforeKill extends Error {
  constructor() {
    super('the report finished before the kill: use more rows');
  }
}

/**
 * Submits the report and waits for completion; with `crash`, SIGKILLs the worker running it once the API
 * shows `killAtFraction` of the rows done (progress arrives with heartbeats), or `killAfterMs` after it
 * started, whichever comes first.
 */
async function runJob(
  baseUrl: string,
  source: unknown,
  workers: WorkerProcess[],
  crash?: { client: Client; killAtFraction: number; killAfterMs: number },
): Promise<Measured> {
  const started = Date.now();
  const submitted = await fetch(`${baseUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'report',
      input: { report: 'sales-summary', source },
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      retry: { initialIntervalMs: 100 },
    }),
  });
  const { id } = (await submitted.json()) as { id: string };
  let runningSince: number | undefined;
  let killedAt: number | undefined;
  let resumeAfterMs: number | undefined;
  for (;;) {
    for (const worker of workers) worker.sample();
    const job = (await (await fetch(`${baseUrl}/v1/jobs/${id}`)).json()) as JobView;
    if (job.status === 'completed') {
      const result = job.result as { stats: { attempts: { attempt: number; resumedFrom: number; rows: number }[] } };
      const attemptRows = result.stats.attempts.map((a) => `#${a.attempt}: ${a.resumedFrom}+${a.rows}`).join(', ');
      const peakRssMb = Math.max(...workers.map((w) => w.peakRssMb));
      if (crash && job.attempts < 2) throw new FinishedBeforeKill();
      return {
        ms: Date.now() - started,
        peakRssMb,
        attempts: job.attempts,
        rowsAfterCrash: result.stats.attempts.at(-1)?.rows,
        resumeAfterMs,
        attemptRows,
      };
    }
    if (job.status !== 'queued' && job.status !== 'running' && job.status !== 'retrying')
      throw new Error(`job ${id} ended ${job.status}: ${JSON.stringify(job.lastError)}`);
    if (job.status === 'running') runningSince ??= Date.now();
    if (killedAt && resumeAfterMs === undefined && job.status === 'running' && job.attempts >= 2) resumeAfterMs = Date.now() - killedAt;
    const fraction = job.progress?.total ? job.progress.done / job.progress.total : 0;
    if (crash && !killedAt && runningSince && (fraction >= crash.killAtFraction || Date.now() - runningSince >= crash.killAfterMs)) {
      const description = await crash.client.workflow.getHandle(id).describe();
      const identity = description.raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
      const victim = workers.find((w) => identity.startsWith(`${w.pid}@`));
      if (!victim) throw new Error(`cannot tell which worker runs the report (identity "${identity}")`);
      await victim.kill();
      killedAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'bench:report failed');
  process.exit(1);
});
