import type { BenchOptions } from './options';
import type { PhaseResult, ScenarioName } from './phase';
import type { AutocannonResult } from './scenarios/api-autocannon';
import type { Summary } from './stats';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  temporalCli?: string;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean | undefined;
}

export interface BenchReport {
  startedAt: string;
  wallSec: number;
  label?: string;
  options: BenchOptions;
  machine: MachineInfo;
  fixedRate?: { rate: number; basis: string };
  phases: PhaseResult[];
  autocannon: AutocannonResult[];
  peakRssMb: Record<string, number>;
  ratios: Record<string, number>;
  targets: Target[];
  notes: string[];
}

export function phaseOf(report: Pick<BenchReport, 'phases'>, scenario: ScenarioName, mode: PhaseResult['mode']): PhaseResult | undefined {
  return report.phases.find((p) => p.scenario === scenario && p.mode === mode);
}

/** Ratios Jobline / raw Temporal and Jobline / BullMQ (throughput: higher is better; latency: lower is better). */
export function computeRatios(phases: PhaseResult[]): Record<string, number> {
  const ratios: Record<string, number> = {};
  const find = (s: ScenarioName, m: PhaseResult['mode']) => phaseOf({ phases }, s, m);
  const jobline = { burst: find('jobline', 'burst'), rate: find('jobline', 'rate') };
  for (const other of ['raw-temporal', 'bullmq'] as const) {
    const burst = find(other, 'burst');
    const rate = find(other, 'rate');
    const key = other === 'raw-temporal' ? 'jobline/raw-temporal' : 'jobline/bullmq';
    if (jobline.burst && burst) {
      ratios[`${key} burst completed/s`] = jobline.burst.completedPerSec / burst.completedPerSec;
      ratios[`${key} burst submitted/s`] = jobline.burst.submittedPerSec / burst.submittedPerSec;
    }
    if (jobline.rate && rate) {
      const ratio = (a?: Summary, b?: Summary, k: 'p50' | 'p99' = 'p50') => (a && b ? a[k] / b[k] : Number.NaN);
      ratios[`${key} rate submit→start p50`] = ratio(jobline.rate.submitToStartMs, rate.submitToStartMs, 'p50');
      ratios[`${key} rate submit→start p99`] = ratio(jobline.rate.submitToStartMs, rate.submitToStartMs, 'p99');
      ratios[`${key} rate submit→complete p50`] = ratio(jobline.rate.submitToCompleteMs, rate.submitToCompleteMs, 'p50');
      ratios[`${key} rate submit→complete p99`] = ratio(jobline.rate.submitToCompleteMs, rate.submitToCompleteMs, 'p99');
    }
  }
  return ratios;
}

export function evaluateTargets(phases: PhaseResult[], autocannonRuns: AutocannonResult[]): Target[] {
  const find = (s: ScenarioName, m: PhaseResult['mode']) => phaseOf({ phases }, s, m);
  const targets: Target[] = [];
  const jb = find('jobline', 'burst');
  const rb = find('raw-temporal', 'burst');
  if (jb && rb) {
    const ratio = jb.completedPerSec / rb.completedPerSec;
    targets.push({
      name: 'Jobline throughput vs raw Temporal',
      goal: '≥ 0.90 ×',
      value: `${fmt(ratio, 2)} × (${fmt(jb.completedPerSec)} vs ${fmt(rb.completedPerSec)} jobs/s)`,
      met: ratio >= 0.9,
    });
  }
  const jr = find('jobline', 'rate');
  if (jr) {
    const p99 = jr.submitToStartMs?.p99;
    targets.push({
      name: `dispatch (submit → start) p99 at ${fmt(jr.offeredRate ?? Number.NaN)} jobs/s`,
      goal: '≤ 250 ms',
      value: `${fmt(p99 ?? Number.NaN, 0)} ms`,
      met: p99 === undefined ? undefined : p99 <= 250,
    });
    const post = jr.submitCallMs?.p99;
    targets.push({
      name: 'POST /v1/jobs p99 at that rate (bench client)',
      goal: '≤ 50 ms',
      value: `${fmt(post ?? Number.NaN, 1)} ms`,
      met: post === undefined ? undefined : post <= 50,
    });
  }
  const ac = autocannonRuns.find((r) => r.mode === 'rate');
  if (ac) {
    targets.push({
      name: `POST /v1/jobs p99 at ${fmt(ac.offeredRate ?? Number.NaN)} req/s (autocannon)`,
      goal: '≤ 50 ms',
      value: `${fmt(ac.latencyMs.p99, 0)} ms`,
      met: ac.latencyMs.p99 <= 50,
    });
  }
  return targets;
}

function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toFixed(digits);
}

function triple(s: Summary | undefined): string {
  return s ? `${fmt(s.p50, 0)} / ${fmt(s.p95, 0)} / ${fmt(s.p99, 0)}` : 'n/a';
}

function pair(s: Summary | undefined): string {
  return s ? `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)}` : 'n/a';
}

/** Left-aligns the first column, right-aligns the others. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function completedNote(p: PhaseResult): string {
  const missing = p.accepted - p.completed;
  const parts = [];
  if (p.submitErrors > 0) parts.push(`${p.submitErrors} submit errors: ${p.firstError ?? ''}`);
  if (missing > 0) parts.push(`${missing} jobs not finished in time`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

export function renderReport(report: BenchReport): string {
  const { options, machine } = report;
  const out: string[] = [];
  out.push(
    `Jobline bench ${report.startedAt}${report.label ? ` [${report.label}]` : ''}`,
    `N=${options.jobs} jobs, C=${options.clients} clients; each worker: ${options.activitySlots} activity slots, ${options.workflowTaskSlots} workflow-task slots (BullMQ concurrency ${options.activitySlots})`,
    ...(options.rawFeatures.length ? [`raw-temporal scenario WITH Jobline features: ${options.rawFeatures.join(', ')}`] : []),
    ...(options.workerOptions ? [`Temporal worker option overrides: ${options.workerOptions}`] : []),
    `${machine.cpus} CPUs (${machine.cpuModel}), ${fmt(machine.memoryGb, 0)} GB, Node ${machine.node}, ${machine.temporalCli ?? 'Temporal CLI ?'} dev server (${options.db === 'memory' ? 'in-memory SQLite' : 'SQLite file'}${options.serverArgs.length ? ` ${options.serverArgs.join(' ')}` : ''})`,
    '',
  );
  const header = [
    'scenario',
    'submitted/s',
    'completed/s',
    'submit→start ms p50/p95/p99',
    'submit→complete ms p50/p95/p99',
    'submit call ms p50/p99',
  ];
  const rowsFor = (mode: PhaseResult['mode']) =>
    report.phases
      .filter((p) => p.mode === mode)
      .map((p) => [
        p.scenario,
        fmt(p.submittedPerSec),
        fmt(p.completedPerSec),
        triple(p.submitToStartMs),
        triple(p.submitToCompleteMs),
        pair(p.submitCallMs),
      ]);
  const bursts = report.phases.filter((p) => p.mode === 'burst');
  if (bursts.length) {
    out.push(`BURST: ${options.jobs} jobs submitted by ${options.clients} concurrent clients as fast as they are accepted`);
    out.push(table(header, rowsFor('burst')));
    for (const p of bursts) if (completedNote(p)) out.push(`  ${p.scenario}:${completedNote(p)}`);
    out.push('');
  }
  const rates = report.phases.filter((p) => p.mode === 'rate');
  if (rates.length && report.fixedRate) {
    out.push(
      `FIXED RATE: ${fmt(report.fixedRate.rate)} jobs/s offered for ${options.rateSeconds} s (${report.fixedRate.basis}), open loop`,
    );
    out.push(table(header, rowsFor('rate')));
    for (const p of rates) if (completedNote(p)) out.push(`  ${p.scenario}:${completedNote(p)}`);
    out.push('');
  }
  if (report.autocannon.length) {
    out.push(`API ONLY: autocannon, POST /v1/jobs {"type":"echo"}, keep-alive`);
    out.push(
      table(
        ['run', 'conns', 'seconds', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'],
        report.autocannon.map((r) => [
          r.mode === 'burst' ? 'burst' : `rate ${fmt(r.offeredRate ?? Number.NaN)}/s`,
          String(r.connections),
          String(r.durationSec),
          String(r.requests),
          fmt(r.requestsPerSec),
          fmt(r.latencyMs.p50, 0),
          fmt(r.latencyMs.p90, 0),
          fmt(r.latencyMs.p99, 0),
          fmt(r.latencyMs.max, 0),
          String(r.non2xx),
          String(r.errors),
        ]),
      ),
    );
    out.push('');
  }
  const ratioEntries = Object.entries(report.ratios);
  if (ratioEntries.length) {
    out.push('RATIOS (throughput: higher is better for Jobline; latency: lower is better)');
    for (const [name, value] of ratioEntries) out.push(`  ${name.padEnd(48)} ${fmt(value, 2)}`);
    out.push('');
  }
  out.push(...renderResources(report), '');
  out.push(...renderServerWork(report));
  if (report.targets.length) {
    out.push('TARGETS (reported, not asserted)');
    for (const t of report.targets)
      out.push(`  [${t.met === undefined ? ' ?  ' : t.met ? ' ok ' : 'MISS'}] ${t.name}: ${t.value} (goal ${t.goal})`);
    out.push('');
  }
  for (const note of report.notes) out.push(`note: ${note}`);
  out.push(`wall time ${fmt(report.wallSec, 0)} s`);
  return `${out.join('\n')}\n`;
}

function renderResources(report: BenchReport): string[] {
  const phases = report.phases;
  const names = [...new Set([...Object.keys(report.peakRssMb), ...phases.flatMap((p) => Object.keys(p.usage.processes))])];
  const header = ['process', 'peak RSS MB', ...phases.map((p) => `${short(p.scenario)} ${p.mode}`)];
  const rows = names.map((name) => [
    name,
    fmt(report.peakRssMb[name] ?? Number.NaN, 0),
    ...phases.map((p) => {
      const usage = p.usage.processes[name];
      return usage && p.accepted > 0 ? fmt(usage.cpuMs / p.accepted, 2) : '';
    }),
  ]);
  const ours = phases.map((p) => Object.values(p.usage.processes).reduce((acc, u) => acc + u.cpuMs, 0) / Math.max(1, p.accepted));
  rows.push(['all of the above', '', ...ours.map((ms) => fmt(ms, 2))]);
  // If the CPUs were the only limit and nothing else ran: how many jobs/s this CPU cost per job allows.
  rows.push(['  → CPU-bound jobs/s', '', ...ours.map((ms) => fmt((report.machine.cpus * 1000) / ms, 0))]);
  rows.push(['machine CPU busy %', '', ...phases.map((p) => fmt(p.usage.machineBusyPct, 0))]);
  // What the watched processes do not explain: other work on the machine (e.g. a test suite) during the phase.
  rows.push(['  of which not ours %', '', ...phases.map((p) => fmt(otherCpuPct(p), 0))]);
  return [
    `RESOURCES: peak RSS (VmHWM) over the run, and CPU ms per job in each phase (sum over ${report.machine.cpus} CPUs)`,
    table(header, rows),
  ];
}

function renderServerWork(report: BenchReport): string[] {
  const phases = report.phases.filter((p) => p.persistence || p.historyEventsPerJob !== undefined);
  if (!phases.length) return [];
  const out = [
    'TEMPORAL SERVER WORK PER JOB: history; dev-server persistence calls and their summed latency (incl. waiting for its one SQLite connection)',
    table(
      ['phase', 'history events', 'history bytes', 'persistence calls', 'persistence ms', 'top calls per job'],
      phases.map((p) => [
        `${p.scenario} ${p.mode}`,
        fmt(p.historyEventsPerJob ?? Number.NaN, 1),
        fmt(p.historyBytesPerJob ?? Number.NaN, 0),
        fmt(p.persistence?.callsPerJob ?? Number.NaN, 1),
        fmt(p.persistence?.latencyMsPerJob ?? Number.NaN, 1),
        (p.persistence?.top ?? [])
          .slice(0, 4)
          .map((t) => `${t.operation.replace('WorkflowExecution', 'WE')} ${fmt(t.perJob, 1)}`)
          .join(', '),
      ]),
    ),
    '',
  ];
  return out;
}

export function otherCpuPct(p: PhaseResult): number {
  const ours = Object.values(p.usage.processes).reduce((acc, u) => acc + u.cpuMs, 0);
  const oursPct = (100 * ours) / (p.usage.wallMs * p.usage.cpus);
  return Math.max(0, p.usage.machineBusyPct - oursPct);
}

function short(s: ScenarioName): string {
  return s === 'raw-temporal' ? 'raw' : s;
}
