import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { commandLine, runCleanups } from './cli';
import { parseOptions, type BenchOptions } from './options';
import { runPhase, warmUp, type PhaseResult } from './phase';
import { ProcessMonitor } from './procfs';
import { startJobline, startTemporalServer } from './scenarios/temporal';

/**
 * `npm run bench:overhead`: what Jobline's observability costs. The same server, the same echo job, one
 * API + worker pair per variant (metrics on, metrics off, and tracing on when an OTLP endpoint is given),
 * measured in alternating rounds (A B A B …) so that drift on a shared machine falls on every variant alike.
 * Reports throughput, POST p99 at a fixed rate and CPU per job (the figure that moves least with noise).
 */
const USAGE = `npm run bench:overhead -- [--jobs N] [--clients C] [--rounds R] [--rate JOBS_PER_S] [--otlp URL]
  --jobs N        jobs per burst (default 600)
  --clients C     concurrent submitters in a burst (default 32)
  --rounds R      rounds per variant (default 2)
  --rate R        fixed rate for the POST latency phase, jobs/s (default 10)
  --otlp URL      also measure tracing on, exporting to this OTLP HTTP endpoint (e.g. a local collector)
`;

interface OverheadOptions {
  jobs: number;
  clients: number;
  rounds: number;
  rate: number;
  otlp?: string;
}

function parse(argv: string[]): OverheadOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      jobs: { type: 'string' },
      clients: { type: 'string' },
      rounds: { type: 'string' },
      rate: { type: 'string' },
      otlp: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const int = (value: string | undefined, fallback: number, name: string) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: a positive number`);
    return n;
  };
  return {
    jobs: int(values.jobs, 600, 'jobs'),
    clients: int(values.clients, 32, 'clients'),
    rounds: int(values.rounds, 2, 'rounds'),
    rate: int(values.rate, 10, 'rate'),
    otlp: values.otlp,
  };
}

interface Sample {
  variant: string;
  burst: PhaseResult;
  rate: PhaseResult;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/** CPU ms per accepted job, summed over the variant's API, worker and the server. */
function cpuPerJob(phase: PhaseResult): number {
  const total = Object.entries(phase.usage.processes)
    .filter(([name]) => name.startsWith('jobline-') || name === 'temporal-server')
    .reduce((sum, [, usage]) => sum + usage.cpuMs, 0);
  return total / Math.max(1, phase.accepted);
}

async function main(): Promise<void> {
  const opts = commandLine(parse, USAGE);
  const base = parseOptions([], process.env);
  if (base === 'help') return;
  const bench: BenchOptions = { ...base, jobs: opts.jobs, clients: opts.clients };
  const runDir = path.join(bench.resultsDir, `overhead-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(runDir, { recursive: true });
  const monitor = new ProcessMonitor();
  const cleanups: Array<() => Promise<void>> = [];
  const log = (message: string) => process.stderr.write(`[overhead] ${message}\n`);
  const variants: Array<{ name: string; env: Record<string, string> }> = [
    { name: 'metrics-on', env: { JOBLINE_METRICS: '1' } },
    { name: 'metrics-off', env: { JOBLINE_METRICS: '0' } },
    ...(opts.otlp ? [{ name: 'tracing-on', env: { JOBLINE_METRICS: '1', OTEL_EXPORTER_OTLP_ENDPOINT: opts.otlp } }] : []),
  ];
  const samples: Sample[] = [];
  try {
    const server = await startTemporalServer(bench, monitor);
    cleanups.push(() => server.stop());
    for (let round = 1; round <= opts.rounds; round++) {
      for (const variant of variants) {
        log(`round ${round}: ${variant.name}`);
        const jobline = await startJobline(bench, server, monitor, runDir, variant);
        try {
          await warmUp(jobline.system, 50, opts.clients, 120_000);
          const burst = await runPhase(jobline.system, monitor, { mode: 'burst', jobs: opts.jobs, clients: opts.clients }, 300_000);
          const rate = await runPhase(
            jobline.system,
            monitor,
            { mode: 'rate', jobs: Math.round(opts.rate * 15), rate: opts.rate },
            300_000,
          );
          samples.push({ variant: variant.name, burst, rate });
          log(`  ${burst.completedPerSec.toFixed(1)} jobs/s, POST p99 at ${opts.rate}/s ${rate.submitCallMs?.p99.toFixed(1)} ms`);
        } finally {
          await jobline.stop();
        }
      }
    }
  } finally {
    await runCleanups(cleanups);
  }
  const rows = variants.map(({ name }) => {
    const mine = samples.filter((s) => s.variant === name);
    return {
      name,
      completed: median(mine.map((s) => s.burst.completedPerSec)),
      cpu: median(mine.map((s) => cpuPerJob(s.burst))),
      p99: median(mine.map((s) => s.rate.submitCallMs?.p99 ?? NaN)),
      notOurs: median(mine.map((s) => s.burst.usage.machineBusyPct)),
    };
  });
  const off = rows.find((row) => row.name === 'metrics-off')!;
  const lines = [
    `Jobline observability overhead, ${opts.rounds} rounds per variant (medians), burst ${opts.jobs} jobs × ${opts.clients} clients, POST p99 at ${opts.rate} jobs/s`,
    'variant       completed/s  vs off   CPU ms/job  vs off   POST p99 ms  machine busy %',
    ...rows.map(
      (row) =>
        `${row.name.padEnd(12)}  ${row.completed.toFixed(1).padStart(11)}  ${(row.completed / off.completed).toFixed(3).padStart(6)}  ` +
        `${row.cpu.toFixed(2).padStart(10)}  ${(row.cpu / off.cpu).toFixed(3).padStart(6)}  ${row.p99.toFixed(1).padStart(11)}  ${row.notOurs.toFixed(0).padStart(14)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(runDir, 'overhead.json'), JSON.stringify({ opts, samples: samples.map((s) => ({ ...s })) }, null, 2));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
