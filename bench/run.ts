import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { commandLine, runCleanups } from './cli';
import { USAGE, parseOptions } from './options';
import { runPhase, warmUp, type PhaseResult, type System } from './phase';
import { cpuCount, ProcessMonitor } from './procfs';
import { computeRatios, evaluateTargets, phaseOf, renderReport, type BenchReport, type MachineInfo } from './report';
import { autocannonPhase, type AutocannonResult } from './scenarios/api-autocannon';
import { startBullmq } from './scenarios/bullmq';
import { startJobline, startRawTemporal, startTemporalServer, type RunningJobline, type RunningRawTemporal } from './scenarios/temporal';

/**
 * `npm run bench`: Jobline against raw Temporal and BullMQ with the same trivial job. Starts everything it
 * needs (a dev server on a fresh temp database, the workers, the API, Redis if down), runs a burst and a
 * fixed-rate load per scenario, stops everything, prints one report and writes it as JSON.
 */
async function main(): Promise<void> {
  const opts = commandLine(parseOptions, USAGE);
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const runDir = path.join(opts.resultsDir, stamp);
  fs.mkdirSync(runDir, { recursive: true });
  const monitor = new ProcessMonitor();
  monitor.watch('bench', process.pid);
  const timeoutMs = opts.timeoutSec * 1000;
  const phases: PhaseResult[] = [];
  const autocannonRuns: AutocannonResult[] = [];
  const notes: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const progress = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    progress('interrupted: stopping everything');
    void runCleanups(cleanups).finally(() => process.exit(130));
  });

  const want = (s: (typeof opts.scenarios)[number]) => opts.scenarios.includes(s);
  const plan =
    (system: System) =>
    async (mode: 'burst' | 'rate', rate?: number): Promise<PhaseResult | undefined> => {
      if (!opts.modes.includes(mode)) return undefined;
      const label =
        mode === 'burst' ? `${opts.jobs} jobs, ${opts.clients} clients` : `${rate!.toFixed(1)} jobs/s for ${opts.rateSeconds} s`;
      progress(`${system.name} ${mode}: ${label}`);
      const result = await runPhase(
        system,
        monitor,
        mode === 'burst'
          ? { mode, jobs: opts.jobs, clients: opts.clients }
          : { mode, jobs: Math.max(1, Math.round(rate! * opts.rateSeconds)), rate: rate! },
        timeoutMs,
      );
      phases.push(result);
      progress(
        `${system.name} ${mode}: ${result.completedPerSec.toFixed(1)} completed/s, submit→start p99 ${result.submitToStartMs?.p99.toFixed(0) ?? 'n/a'} ms`,
      );
      return result;
    };
  let fixedRate: BenchReport['fixedRate'];
  const chooseRate = (basis: PhaseResult | undefined, name: string) => {
    if (fixedRate) return fixedRate.rate;
    if (opts.rate !== undefined) fixedRate = { rate: opts.rate, basis: 'set by --rate' };
    else if (basis && Number.isFinite(basis.completedPerSec)) {
      fixedRate = { rate: opts.rateFraction * basis.completedPerSec, basis: `${opts.rateFraction} × ${name}'s burst completion rate` };
    }
    return fixedRate?.rate;
  };

  try {
    if (want('jobline') || want('raw-temporal')) {
      progress('starting the Temporal dev server (fresh temp database)');
      const server = await startTemporalServer(opts, monitor);
      cleanups.push(() => server.stop());
      progress(`dev server at ${server.server.address}; starting workers${want('jobline') ? ' and the API' : ''}`);
      const [jobline, raw] = await Promise.all([
        want('jobline') ? startJobline(opts, server, monitor, runDir) : undefined,
        want('raw-temporal') ? startRawTemporal(opts, server, monitor, runDir) : undefined,
      ]);
      if (jobline) cleanups.push(() => jobline.stop());
      if (raw) cleanups.push(() => raw.stop());
      await runTemporalScenarios(jobline, raw);
      await runCleanups(cleanups.splice(0));
    }
    if (want('bullmq') && !interrupted) {
      progress(`starting BullMQ (Redis at ${opts.redisHost}:${opts.redisPort})`);
      const bullmq = await startBullmq(opts, monitor, runDir);
      cleanups.push(() => bullmq.stop());
      const run = plan(bullmq.system);
      await warmUp(bullmq.system, opts.warmup, opts.clients, timeoutMs);
      const burst = await run('burst');
      const rate = chooseRate(burst, 'BullMQ');
      if (rate) await run('rate', rate);
      await runCleanups(cleanups.splice(0));
    }
  } catch (err) {
    await runCleanups(cleanups.splice(0));
    throw err;
  } finally {
    monitor.close();
  }

  async function runTemporalScenarios(jobline?: RunningJobline, raw?: RunningRawTemporal): Promise<void> {
    if (raw) {
      await warmUp(raw.system, opts.warmup, opts.clients, timeoutMs);
      await plan(raw.system)('burst');
    }
    if (jobline) {
      await warmUp(jobline.system, opts.warmup, opts.clients, timeoutMs);
      const burst = await plan(jobline.system)('burst');
      const rate = chooseRate(burst, 'Jobline');
      if (rate) await plan(jobline.system)('rate', rate);
    }
    if (raw) {
      const rate = chooseRate(phaseOf({ phases }, 'raw-temporal', 'burst'), 'raw Temporal');
      if (rate) await plan(raw.system)('rate', rate);
    }
    if (jobline && opts.autocannon) {
      progress(`autocannon burst: POST /v1/jobs over ${opts.clients} connections for ${opts.autocannonSeconds} s`);
      autocannonRuns.push(
        await autocannonPhase(
          { url: jobline.apiUrl, connections: opts.clients, durationSec: opts.autocannonSeconds },
          monitor,
          jobline.client,
          jobline.taskQueue,
          timeoutMs,
        ),
      );
      const rate = fixedRate?.rate;
      if (rate) {
        progress(`autocannon at ${rate.toFixed(1)} req/s for ${opts.autocannonSeconds} s`);
        autocannonRuns.push(
          await autocannonPhase(
            { url: jobline.apiUrl, connections: opts.clients, rate, durationSec: opts.autocannonSeconds },
            monitor,
            jobline.client,
            jobline.taskQueue,
            timeoutMs,
          ),
        );
      }
    }
  }

  const report: BenchReport = {
    startedAt: started.toISOString(),
    wallSec: (Date.now() - started.getTime()) / 1000,
    ...(opts.label ? { label: opts.label } : {}),
    options: opts,
    machine: machineInfo(),
    ...(fixedRate ? { fixedRate } : {}),
    phases,
    autocannon: autocannonRuns,
    peakRssMb: monitor.peaks(),
    ratios: computeRatios(phases),
    targets: evaluateTargets(phases, autocannonRuns),
    notes,
  };
  const jsonFile = path.join(opts.resultsDir, `${stamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(renderReport(report));
  process.stdout.write(`results: ${path.relative(process.cwd(), jsonFile)}; logs: ${path.relative(process.cwd(), runDir)}/\n`);
}

function machineInfo(): MachineInfo {
  const cli = spawnSync(loadConfig(process.env).embedded.cliPath, ['--version'], { encoding: 'utf8' });
  return {
    cpus: cpuCount(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    ...(cli.status === 0 ? { temporalCli: cli.stdout.trim().split('\n')[0] } : {}),
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
