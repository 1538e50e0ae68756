import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuCount, ProcessMonitor } from '../procfs';
import { startBullmqBatch } from './bullmq';
import { writeNdjson } from './items';
import { startJoblineBatch } from './jobline';
import type { BatchRun } from './measure';
import { commandLine, runCleanups } from '../cli';
import { USAGE, parseBatchOptions } from './options';
import { ratioOf, renderReport, summariseSystem, TARGET_RATIO } from './report';

/**
 * `npm run bench:batch`: N items with a trivial handler through Jobline (one batch job, chunked) and through
 * BullMQ (one job per item), at the same concurrency. Prints items/s, RSS and CPU per process and the ratio,
 * and writes the figures as JSON to bench/results/batch-<date>.json (git-ignored).
 */
async function main(): Promise<void> {
  const options = commandLine(parseBatchOptions, USAGE);
  const started = new Date();
  const stamp = `batch-${started.toISOString().replace(/[:.]/g, '-')}`;
  const logs = path.join(options.resultsDir, stamp);
  fs.mkdirSync(logs, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-bench-batch-'));
  const dirs = { logs, source: path.join(tmp, 'source'), artifacts: path.join(tmp, 'artifacts') };
  fs.mkdirSync(dirs.source);
  const progress = (message: string) =>
    process.stderr.write(`[bench:batch ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  const monitor = new ProcessMonitor();
  monitor.watch('bench', process.pid);
  const runs: BatchRun[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  process.once('SIGINT', () => {
    progress('interrupted: stopping everything');
    void runCleanups(cleanups).finally(() => process.exit(130));
  });

  const files = { measured: `items-${options.items}.ndjson`, warmup: `items-${options.warmupItems}.ndjson` };
  const bytes = writeNdjson(path.join(dirs.source, files.measured), options.items);
  if (options.warmupItems > 0) writeNdjson(path.join(dirs.source, files.warmup), options.warmupItems);
  progress(`${options.items} items written as NDJSON (${(bytes / 1024 ** 2).toFixed(1)} MB)`);

  const measure = async (system: string, warm: () => Promise<BatchRun>, measured: () => Promise<BatchRun>) => {
    if (options.warmupItems > 0) {
      progress(`${system}: warm-up, ${options.warmupItems} items (not measured)`);
      await warm();
    }
    for (let i = 1; i <= options.repeat; i++) {
      progress(`${system}: run ${i}/${options.repeat}, ${options.items} items`);
      const run = await measured();
      runs.push(run);
      progress(`${system}: ${run.itemsPerSecond.toFixed(0)} items/s (${(run.ms / 1000).toFixed(2)} s)`);
    }
  };

  try {
    if (options.systems.includes('jobline')) {
      progress('jobline: starting a dev server (fresh temp database), the worker and the API');
      const jobline = await startJoblineBatch(options, monitor, dirs);
      cleanups.push(() => jobline.stop());
      await measure(
        'jobline',
        () => jobline.run(options.warmupItems, files.warmup),
        () => jobline.run(options.items, files.measured),
      );
      await runCleanups(cleanups.splice(0));
    }
    if (options.systems.includes('bullmq')) {
      progress(`bullmq: Redis at ${options.redisHost}:${options.redisPort}, a fresh queue and a worker`);
      const bullmq = await startBullmqBatch(options, monitor, logs);
      cleanups.push(() => bullmq.stop());
      await measure(
        'bullmq',
        () => bullmq.run(options.warmupItems),
        () => bullmq.run(options.items),
      );
      await runCleanups(cleanups.splice(0));
    }
  } finally {
    await runCleanups(cleanups.splice(0));
    monitor.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const summaries = options.systems
    .map((system) =>
      summariseSystem(
        system,
        runs.filter((r) => r.system === system),
      ),
    )
    .filter((s) => s !== undefined);
  const jobline = summaries.find((s) => s.system === 'jobline');
  const bullmq = summaries.find((s) => s.system === 'bullmq');
  const ratio = ratioOf(jobline, bullmq);
  const machine = `${cpuCount()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB, Node ${process.version}; load average at start ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
  const report = {
    startedAt: started.toISOString(),
    wallSec: (Date.now() - started.getTime()) / 1000,
    ...(options.label ? { label: options.label } : {}),
    options,
    machine,
    summaries,
    ...(ratio !== undefined ? { ratio, target: TARGET_RATIO, targetMet: ratio >= TARGET_RATIO } : {}),
    runs,
    peakRssMb: monitor.peaks(),
  };
  const jsonFile = path.join(options.resultsDir, `${stamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(renderReport({ startedAt: report.startedAt, options, machine, summaries, runs }));
  process.stdout.write(`results: ${path.relative(process.cwd(), jsonFile)}; logs: ${path.relative(process.cwd(), logs)}/\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:batch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
