import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { dataConverterFor } from '../src/temporal/codec/data-converter';
import { deleteClusterNamespace, prepareClusterNamespace } from '../src/temporal/cluster/namespace';
import { frontendAnswers } from '../src/temporal/cluster/lifecycle';
import { processState } from '../src/temporal/cluster/processes';
import { loadClusterSettings, SERVICES, type ClusterSettings } from '../src/temporal/cluster/settings';
import { commandLine, runCleanups } from './cli';
import { parseOptions, USAGE, type BenchOptions } from './options';
import { runPhase, warmUp, type PhaseResult } from './phase';
import { ProcessMonitor } from './procfs';
import { startJobline, startRawTemporal, startTemporalServer, type TemporalServer } from './scenarios/temporal';
import { persistenceSnapshot, type PersistenceSnapshot } from './server-metrics';

/**
 * `npm run bench:cluster`: the core benchmark (raw Temporal and Jobline, one burst each) on the dev server
 * and then on the full server of `npm run cluster -- up`, in one run, with the ratio cluster/dev. Takes the
 * options of `npm run bench` (--jobs, --clients, --warmup, ...); modes and scenarios are fixed.
 */

type ServerKind = 'dev' | 'cluster';

/** The cluster's four processes each export their own persistence counters: the sum is the server's. */
async function clusterPersistence(settings: ClusterSettings): Promise<PersistenceSnapshot> {
  const total: PersistenceSnapshot = new Map();
  for (const service of SERVICES) {
    const snapshot = await persistenceSnapshot(`http://127.0.0.1:${settings.ports[service].metrics}/metrics`);
    for (const [key, entry] of snapshot) {
      const sum = total.get(key) ?? { count: 0, sumSec: 0 };
      total.set(key, { count: sum.count + entry.count, sumSec: sum.sumSec + entry.sumSec });
    }
  }
  return total;
}

/** The running cluster, in a namespace of this run's own (deleted afterwards), its processes watched for CPU. */
async function clusterServer(settings: ClusterSettings, monitor: ProcessMonitor): Promise<TemporalServer> {
  if (!(await frontendAnswers(settings))) throw new Error(`no cluster at ${settings.frontendAddress}: run \`npm run cluster -- up\``);
  const namespace = `jobline-bench-${Date.now().toString(36)}`;
  const connection = await Connection.connect({ address: settings.frontendAddress });
  await prepareClusterNamespace(connection, namespace, 1);
  for (const service of SERVICES) {
    const { pid } = processState(settings, service);
    if (pid) monitor.watch(`temporal-${service}`, pid);
  }
  return {
    // Not a process of ours: it never exits while the bench runs.
    server: {
      address: settings.frontendAddress,
      namespace,
      pid: -1,
      stop: async () => undefined,
      exited: new Promise<number | null>(() => undefined),
    },
    client: new Client({ connection, namespace, dataConverter: dataConverterFor(loadConfig(process.env).encryption) }),
    async stop() {
      for (const service of SERVICES) monitor.unwatch(`temporal-${service}`);
      await deleteClusterNamespace(connection, namespace).catch(() => undefined);
      await connection.close();
    },
  };
}

interface Row {
  server: ServerKind;
  result: PhaseResult;
}

function serverCpuMsPerJob(result: PhaseResult): number {
  const cpuMs = Object.entries(result.usage.processes)
    .filter(([name]) => name.startsWith('temporal'))
    .reduce((sum, [, usage]) => sum + usage.cpuMs, 0);
  return cpuMs / Math.max(1, result.completed);
}

function render(rows: Row[]): string {
  const fmt = (value: number | undefined, digits = 0) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));
  const lines = [
    '| scenario | server | completed jobs/s | submit→start p99 (ms) | server CPU ms/job | DB calls/job |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const { server, result } of rows) {
    lines.push(
      `| ${result.scenario} | ${server} | ${fmt(result.completedPerSec, 1)} | ${fmt(result.submitToStartMs?.p99)} | ` +
        `${fmt(serverCpuMsPerJob(result), 1)} | ${fmt(result.persistence?.callsPerJob, 1)} |`,
    );
  }
  lines.push('', '| scenario | cluster/dev: jobs/s | cluster/dev: submit→start p99 |', '|---|---:|---:|');
  for (const scenario of ['raw-temporal', 'jobline'] as const) {
    const dev = rows.find((row) => row.server === 'dev' && row.result.scenario === scenario)?.result;
    const cluster = rows.find((row) => row.server === 'cluster' && row.result.scenario === scenario)?.result;
    if (!dev || !cluster) continue;
    lines.push(
      `| ${scenario} | ${fmt(cluster.completedPerSec / dev.completedPerSec, 2)} | ` +
        `${fmt((cluster.submitToStartMs?.p99 ?? NaN) / (dev.submitToStartMs?.p99 ?? NaN), 2)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const opts: BenchOptions = { ...commandLine(parseOptions, USAGE), modes: ['burst'], scenarios: ['raw-temporal', 'jobline'] };
  const settings = loadClusterSettings();
  const monitor = new ProcessMonitor();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-bench-cluster-'));
  const timeoutMs = opts.timeoutSec * 1000;
  const rows: Row[] = [];
  const progress = (message: string) => process.stderr.write(`[bench:cluster] ${message}\n`);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    for (const kind of ['dev', 'cluster'] as const) {
      progress(`${kind}: starting`);
      const server = kind === 'dev' ? await startTemporalServer(opts, monitor) : await clusterServer(settings, monitor);
      cleanups.push(() => server.stop());
      const [raw, jobline] = [await startRawTemporal(opts, server, monitor, runDir), await startJobline(opts, server, monitor, runDir)];
      cleanups.push(
        () => raw.stop(),
        () => jobline.stop(),
      );
      if (kind === 'cluster') {
        raw.system.persistence = () => clusterPersistence(settings);
        jobline.system.persistence = () => clusterPersistence(settings);
      }
      for (const system of [raw.system, jobline.system]) {
        await warmUp(system, opts.warmup, opts.clients, timeoutMs);
        const result = await runPhase(system, monitor, { mode: 'burst', jobs: opts.jobs, clients: opts.clients }, timeoutMs);
        progress(
          `${kind} ${system.name}: ${result.completedPerSec.toFixed(1)} jobs/s, submit→start p99 ${result.submitToStartMs?.p99.toFixed(0)} ms`,
        );
        rows.push({ server: kind, result });
      }
      await runCleanups(cleanups.splice(0));
    }
  } finally {
    await runCleanups(cleanups.splice(0));
    monitor.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
  process.stdout.write(`${opts.jobs} jobs per burst, ${opts.clients} clients, ${os.cpus().length} CPUs\n\n${render(rows)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:cluster] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
