import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { TaskQueueStats } from '../../src/metrics/task-queue-stats';
import { EVERY_CLASS } from '../../src/autoscaler/worker-classes';
import { WorkerPool } from '../../src/autoscaler/worker-pool';
import { upsertTableDdl } from '../../src/batch/upsert-table';
import { TERMINAL_STATUSES, type JobStatus } from '../../src/jobs/status';
import { createLogger } from '../../src/logger';
import { seedDemo } from '../../src/reports/demo/seed';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { startCountingTarget } from './counting-target';
import { DEFAULT_MIX, JOB_KINDS, planJob, type JobKind, type JobMix, type Planned } from './load';
import { startApiProcess } from './processes';
import { measureRecovery, type RecoveryFigure } from './recovery';
import { rssMb, slopeMbPerHour, type Sample } from './rss';

export interface ChaosOptions {
  durationMs: number;
  /** A random worker is SIGKILLed this often (0: never); the pool restarts it. */
  killEveryMs: number;
  workers: number;
  /** Submissions per second. */
  rate: number;
  mix?: JobMix;
  restartApi: boolean;
  /** Restart the Temporal server once (only with a dev server of the run's own). */
  restartServer: boolean;
  /** An existing server; undefined: the run starts a dev server of its own on a database file. */
  server?: { address: string; namespace: string };
  cliPath: string;
  databaseUrl: string;
  batchItems?: number;
  reportRows?: number;
  settleTimeoutMs?: number;
  rssEveryMs?: number;
  /** Workers' and the API's output on this process's (their LOG_LEVEL warn); default: dropped. */
  verbose?: boolean;
  /** Measure crash recovery time (bench/chaos/recovery.ts) before the chaos starts. */
  measureRecovery?: boolean;
  progress?: (line: string) => void;
}

export interface KindFigures {
  accepted: number;
  completed: number;
  failed: number;
  lost: number;
}

export interface ChaosReport {
  durationMs: number;
  accepted: number;
  terminal: number;
  lost: number;
  lostIds: string[];
  byKind: Record<JobKind, KindFigures>;
  submitRetries: number;
  /** Submissions the API never accepted (refused, or not within 120 s): a load generator's failure, not a lost job. */
  refused: string[];
  kills: number;
  workerRestarts: number;
  apiRestarts: number;
  serverRestarts: number;
  http: { keys: number; calls: number; missing: number; duplicates: number };
  batch: { expectedKeys: number; rows: number; distinctKeys: number; missingKeys: number; rewrites: number };
  rss: { api: Sample[]; worker: Sample[]; apiSlopeMbPerHour: number; workerSlopeMbPerHour: number; slopeWindowSeconds: [number, number] };
  settleMs: number;
  recovery?: RecoveryFigure;
}

interface Accepted extends Planned {
  id: string;
  status?: JobStatus;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every worker started (each bundles the workflows first): the measurements start from a ready pool. */
async function waitForPollers(stats: TaskQueueStats, taskQueue: string, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await stats.get(taskQueue, 'activity').catch(() => ({ pollers: 0 }))).pollers < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} workers poll ${taskQueue} after 120 s`);
    await sleep(500);
  }
}

/** A SIGKILLed server's ports take a moment to be free again: retry while they are still taken. */
async function restartDevServer(binary: string, port: number, dbFile: string): Promise<DevServer> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await startDevServer({ binary, port, dbFile });
    } catch (err) {
      if (!/already in use/.test((err as Error).message) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/**
 * A mixed load against an API process and worker processes while workers are SIGKILLed, the API is
 * crashed and restarted, and the Temporal server is crashed and restarted; then waits for every accepted
 * job to end and counts what the targets saw.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.progress ?? (() => undefined);
  const quiet = createLogger();
  quiet.level = 'silent';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-chaos-'));
  const sourceDir = path.join(tmp, 'sources');
  const table = `jobline_chaos_${process.pid}_${Date.now().toString(36)}`;
  const pg = new PgClient({ connectionString: options.databaseUrl });
  await pg.connect();
  await pg.query(upsertTableDdl(table));
  await seedDemo({
    rows: options.reportRows ?? 20_000,
    seed: 7,
    csvFile: path.join(sourceDir, 'orders.csv'),
    databaseUrl: options.databaseUrl,
  });

  const port = await freePort();
  const dbFile = path.join(tmp, 'temporal.db');
  let devServer: DevServer | undefined = options.server ? undefined : await startDevServer({ binary: options.cliPath, port, dbFile });
  const address = options.server?.address ?? devServer!.address;
  const namespace = options.server?.namespace ?? 'default';
  const target = await startCountingTarget(() => 20 + Math.floor(Math.random() * 200));
  const taskQueue = `chaos-${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    JOBLINE_TASK_QUEUE: taskQueue,
    JOBLINE_ALLOW_PRIVATE_TARGETS: '1',
    JOBLINE_REPORT_SOURCE_DIR: sourceDir,
    JOBLINE_ARTIFACT_DIR: path.join(tmp, 'artifacts'),
    JOBLINE_SHUTDOWN_GRACE_MS: '5000',
    JOBLINE_WORKER_METRICS_PORT: '0',
    JOBLINE_WORKER_SDK_METRICS_PORT: '0',
    LOG_LEVEL: options.verbose ? 'warn' : 'error',
  };
  const api = await startApiProcess(await freePort(), env);
  let workerRestarts = 0;
  const pool = new WorkerPool({
    // Every class: the mixed load has work for each (http and batches on `io`, reports on `reports`).
    workerClass: EVERY_CLASS,
    env,
    logger: quiet,
    output: options.verbose ? 'inherit' : 'ignore',
    restartDelayMs: 300,
    maxRestartDelayMs: 5_000,
    stableAfterMs: 3_000,
    onRestart: () => (workerRestarts += 1),
  });
  pool.scaleTo(options.workers);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  await waitForPollers(new TaskQueueStats(client, namespace, 0), taskQueue, options.workers);

  const accepted: Accepted[] = [];
  const submissions: Promise<void>[] = [];
  const rss = { api: [] as Sample[], worker: [] as Sample[] };
  let submitRetries = 0;
  const refused: string[] = [];
  let kills = 0;
  let apiRestarts = 0;
  let serverRestarts = 0;
  const started = Date.now();
  let slopeWindow = { from: 0, to: Infinity };
  const inWindow = (sample: Sample) => sample.t >= slopeWindow.from && sample.t <= slopeWindow.to;
  const context = { targetUrl: target.url, sourceDir, table, batchItems: options.batchItems ?? 200, reportCsv: 'orders.csv' };

  const submit = async (planned: Planned): Promise<void> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const reply = await fetch(`${api.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': planned.key },
          body: JSON.stringify(planned.body),
          signal: AbortSignal.timeout(15_000),
        });
        // 200: the same key again after a reply that never arrived (a crash mid-request); the job is the first one.
        if (reply.status === 202 || reply.status === 200) {
          accepted.push({ ...planned, id: ((await reply.json()) as { id: string }).id });
          return;
        }
        const text = await reply.text();
        if (reply.status < 500 && reply.status !== 429) throw new Error(`submission refused: ${reply.status} ${text}`);
      } catch (err) {
        if ((err as Error).message.startsWith('submission refused')) throw err;
      }
      if (Date.now() > deadline) throw new Error(`submission ${planned.key} not accepted within 120 s`);
      submitRetries += 1;
      await sleep(300);
    }
  };

  const sampleRss = () => {
    const t = (Date.now() - started) / 1000;
    const apiMb = rssMb(api.pid());
    if (apiMb !== undefined) rss.api.push({ t, mb: apiMb });
    const workerMb = pool
      .pids()
      .map(rssMb)
      .filter((mb): mb is number => mb !== undefined);
    if (workerMb.length > 0) rss.worker.push({ t, mb: workerMb.reduce((a, b) => a + b, 0) / workerMb.length });
  };

  try {
    let recovery: RecoveryFigure | undefined;
    if (options.measureRecovery) {
      say('measuring crash recovery time (an echo job, undisturbed and with its worker SIGKILLed)');
      recovery = await measureRecovery(api.url, client);
      kills += 1;
    }
    const loadStart = Date.now();
    const until = loadStart + options.durationMs;
    // The slope leaves out the first fifth (caches and the JIT warming up) and the settling after the load.
    slopeWindow = { from: (loadStart - started) / 1000 + options.durationMs / 5000, to: (until - started) / 1000 };
    let nextSubmit = Date.now();
    let nextKill = options.killEveryMs > 0 ? Date.now() + options.killEveryMs : Infinity;
    let nextRss = Date.now();
    let apiRestartAt = options.restartApi ? until - (options.durationMs * 2) / 3 : Infinity;
    let serverRestartAt = options.restartServer && devServer ? until - options.durationMs / 3 : Infinity;
    let chaos: Promise<void> | undefined;
    let chaosError: unknown;
    const chaosWatched = new WeakSet<Promise<void>>();
    while (Date.now() < until) {
      const now = Date.now();
      if (now >= nextSubmit) {
        submissions.push(submit(planJob(options.mix ?? DEFAULT_MIX, context)).catch((err: unknown) => void refused.push(String(err))));
        nextSubmit += 1000 / options.rate;
      }
      if (now >= nextRss) {
        sampleRss();
        nextRss += options.rssEveryMs ?? 5_000;
      }
      if (!chaos && now >= nextKill) {
        const pids = pool.pids().filter((pid) => pid > 0);
        const victim = pids[Math.floor(Math.random() * pids.length)];
        if (victim) {
          try {
            process.kill(victim, 'SIGKILL');
            kills += 1;
          } catch {
            // gone already
          }
        }
        nextKill += options.killEveryMs;
      }
      if (!chaos && now >= apiRestartAt) {
        apiRestartAt = Infinity;
        say('crashing the API (SIGKILL) and starting it again');
        chaos = api.crashAndRestart().then(() => void (apiRestarts += 1));
      }
      if (!chaos && now >= serverRestartAt && devServer) {
        serverRestartAt = Infinity;
        say('crashing the Temporal server (SIGKILL) and starting it again on its database file');
        const old = devServer;
        chaos = (async () => {
          process.kill(-old.pid, 'SIGKILL');
          await old.exited;
          devServer = await restartDevServer(options.cliPath, port, dbFile);
          serverRestarts += 1;
        })();
      }
      if (chaos && !chaosWatched.has(chaos)) {
        const current = chaos;
        chaosWatched.add(current);
        current.then(
          () => {
            if (chaos === current) chaos = undefined;
          },
          (err: unknown) => {
            chaosError = err;
            if (chaos === current) chaos = undefined;
          },
        );
      }
      if (chaosError) throw chaosError;
      await sleep(50);
    }
    await chaos;
    say(`load over: ${submissions.length} submissions; waiting for every job to end`);
    await Promise.all(submissions);

    const settleStarted = Date.now();
    const settleDeadline = settleStarted + (options.settleTimeoutMs ?? 120_000);
    let open = [...accepted];
    while (open.length > 0 && Date.now() < settleDeadline) {
      const next: Accepted[] = [];
      for (const job of open) {
        const reply = await fetch(`${api.url}/v1/jobs/${encodeURIComponent(job.id)}`).catch(() => undefined);
        if (reply?.status === 200) job.status = ((await reply.json()) as { status: JobStatus }).status;
        else await reply?.body?.cancel();
        if (!job.status || !TERMINAL_STATUSES.has(job.status)) next.push(job);
      }
      open = next;
      if (open.length > 0) await sleep(1_000);
      sampleRss();
    }
    const settleMs = Date.now() - settleStarted;

    const byKind = Object.fromEntries(JOB_KINDS.map((kind) => [kind, { accepted: 0, completed: 0, failed: 0, lost: 0 }])) as Record<
      JobKind,
      KindFigures
    >;
    for (const job of accepted) {
      const figures = byKind[job.kind];
      figures.accepted += 1;
      if (job.status === 'completed') figures.completed += 1;
      else if (job.status && TERMINAL_STATUSES.has(job.status)) figures.failed += 1;
      else figures.lost += 1;
    }
    const httpJobs = accepted.filter((job) => job.kind === 'http');
    const counts = httpJobs.map((job) => target.calls.get(job.key) ?? 0);
    const expectedKeys = accepted.flatMap((job) => (job.status === 'completed' ? (job.itemKeys ?? []) : []));
    const tableStats = (
      await pg.query<{ rows: number; keys: number; present: number; rewrites: number }>(
        `SELECT count(*)::int AS rows, count(DISTINCT item_key)::int AS keys,
                count(*) FILTER (WHERE item_key = ANY($1))::int AS present,
                coalesce(sum(writes - 1), 0)::int AS rewrites
           FROM ${table}`,
        [expectedKeys],
      )
    ).rows[0]!;
    const lostJobs = accepted.filter((job) => !job.status || !TERMINAL_STATUSES.has(job.status));
    return {
      durationMs: options.durationMs,
      accepted: accepted.length,
      terminal: accepted.length - lostJobs.length,
      lost: lostJobs.length,
      lostIds: lostJobs.map((job) => `${job.id} (${job.status ?? 'not found'})`),
      byKind,
      submitRetries,
      refused,
      kills,
      workerRestarts,
      apiRestarts,
      serverRestarts,
      http: {
        keys: httpJobs.length,
        calls: counts.reduce((a, b) => a + b, 0),
        missing: httpJobs.filter((job, i) => job.status === 'completed' && counts[i] === 0).length,
        duplicates: counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      },
      batch: {
        expectedKeys: expectedKeys.length,
        rows: tableStats.rows,
        distinctKeys: tableStats.keys,
        missingKeys: expectedKeys.length - tableStats.present,
        rewrites: tableStats.rewrites,
      },
      rss: {
        ...rss,
        apiSlopeMbPerHour: slopeMbPerHour(rss.api.filter(inWindow)),
        workerSlopeMbPerHour: slopeMbPerHour(rss.worker.filter(inWindow)),
        slopeWindowSeconds: [slopeWindow.from, slopeWindow.to] as [number, number],
      },
      settleMs,
      recovery,
    };
  } finally {
    await pool.stop();
    await connection.close();
    await api.stop();
    await target.close();
    await pg.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pg.end();
    await devServer?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
