import type { PersistenceUsage } from '../server-metrics';
import type { Summary } from '../stats';
import type { BatchTimeline } from './history';
import { median, type BatchRun } from './measure';
import type { BatchBenchOptions, BatchSystem } from './options';

/** A system's runs reduced to medians (each figure on its own). */
export interface SystemSummary {
  system: BatchSystem;
  runs: number;
  items: number;
  seconds: number;
  itemsPerSecond: number;
  /** Per process: median of the highest RSS sampled in each run (MB), and of its CPU seconds. */
  processes: Record<string, { peakRssMb: number; cpuSec: number }>;
  cpuSec: number;
  machineBusyPct: number;
  notOursPct: number;
  load: [number, number];
}

export const TARGET_RATIO = 2;

export function summariseSystem(system: BatchSystem, runs: BatchRun[]): SystemSummary | undefined {
  if (runs.length === 0) return undefined;
  const names = [...new Set(runs.flatMap((run) => Object.keys(run.usage.processes)))];
  const processes = Object.fromEntries(
    names.map((name) => {
      const of = runs.map((run) => run.usage.processes[name]).filter((usage) => usage !== undefined);
      return [name, { peakRssMb: median(of.map((u) => u.maxRssMb)), cpuSec: median(of.map((u) => u.cpuMs / 1000)) }];
    }),
  );
  const ours = runs.map((run) => Object.values(run.usage.processes).reduce((sum, u) => sum + u.cpuMs, 0));
  const busy = runs.map((run) => run.usage.machineBusyPct);
  const notOurs = runs.map((run, i) => run.usage.machineBusyPct - (100 * ours[i]!) / (run.usage.wallMs * run.usage.cpus));
  return {
    system,
    runs: runs.length,
    items: runs[0]!.items,
    seconds: median(runs.map((run) => run.ms / 1000)),
    itemsPerSecond: median(runs.map((run) => run.itemsPerSecond)),
    processes,
    cpuSec: median(ours) / 1000,
    machineBusyPct: median(busy),
    notOursPct: Math.max(0, median(notOurs)),
    load: [runs[0]!.load[0], runs[runs.length - 1]!.load[1]],
  };
}

export function ratioOf(jobline?: SystemSummary, bullmq?: SystemSummary): number | undefined {
  return jobline && bullmq ? jobline.itemsPerSecond / bullmq.itemsPerSecond : undefined;
}

const fmt = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));
const ms = (s?: Summary) => (s ? `${fmt(s.p50, 0)} / ${fmt(s.p95, 0)} / ${fmt(s.max, 0)}` : 'n/a');

export function renderReport(input: {
  startedAt: string;
  options: BatchBenchOptions;
  machine: string;
  summaries: SystemSummary[];
  runs: BatchRun[];
}): string {
  const { options, summaries, runs } = input;
  const out: string[] = [
    `Jobline batch bench ${input.startedAt}`,
    `${options.items} items, trivial handler; Jobline: one batch job, chunkSize ${options.chunkSize}, concurrency ${options.concurrency}${options.apiDefaults ? ' (the API defaults: the request names neither)' : ''}; BullMQ: one job per item, worker concurrency ${options.concurrency}; ${options.repeat} measured run(s) per system (medians)`,
    input.machine,
    '',
  ];
  const header = ['system', 'items', 'seconds', 'items/s', 'process', 'peak RSS MB', 'CPU s'];
  const rows: string[][] = [];
  for (const s of summaries) {
    const names = Object.keys(s.processes).sort((a, b) => (a === 'bench' ? 1 : b === 'bench' ? -1 : a.localeCompare(b)));
    names.forEach((name, i) => {
      const p = s.processes[name]!;
      const head = i === 0 ? [s.system, String(s.items), fmt(s.seconds, 2), fmt(s.itemsPerSecond, 0)] : ['', '', '', ''];
      rows.push([...head, name === 'bench' ? 'bench (client)' : name, fmt(p.peakRssMb, 0), fmt(p.cpuSec, 2)]);
    });
    rows.push(['', '', '', '', 'all of the above', '', fmt(s.cpuSec, 2)]);
  }
  out.push(...table(header, rows), '');
  for (const s of summaries) {
    out.push(
      `${s.system}: machine CPU busy ${fmt(s.machineBusyPct, 0)} %, of which not ours ${fmt(s.notOursPct, 0)} %; load average ${fmt(s.load[0], 2)} → ${fmt(s.load[1], 2)}` +
        (s.runs > 1
          ? `; runs: ${runs
              .filter((r) => r.system === s.system)
              .map((r) => fmt(r.itemsPerSecond, 0))
              .join(', ')} items/s`
          : ''),
    );
  }
  out.push('', ...whereTimeGoes(runs, options.pollMs), '');
  const [jobline, bullmq] = [summaries.find((s) => s.system === 'jobline'), summaries.find((s) => s.system === 'bullmq')];
  const ratio = ratioOf(jobline, bullmq);
  if (ratio !== undefined) {
    out.push(
      `Jobline / BullMQ: ${fmt(ratio, 2)} × (${fmt(jobline!.itemsPerSecond, 0)} vs ${fmt(bullmq!.itemsPerSecond, 0)} items/s); target ≥ ${TARGET_RATIO} ×: ${ratio >= TARGET_RATIO ? 'MET' : 'NOT MET'}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** The last measured run of each system, taken apart. */
function whereTimeGoes(runs: BatchRun[], pollMs: number): string[] {
  const lines = ['WHERE THE TIME GOES (last run of each system; ms p50 / p95 / max)'];
  const jobline = runs.filter((r) => r.system === 'jobline').at(-1);
  if (jobline) {
    const d = jobline.detail as {
      postMs: number;
      getMs?: Summary;
      lastGetMs?: number;
      startLagMs: number;
      endLagMs: number;
      result: { durationMs: number };
      timeline: BatchTimeline;
      persistencePerChunk?: PersistenceUsage;
      frontendRequestsPerChunk?: Array<{ operation: string; per: number }>;
    };
    const db = d.persistencePerChunk;
    const t = d.timeline;
    lines.push(
      `  jobline: POST ${d.postMs} ms; the workflow ran ${fmt(t.workflowMs / 1000, 2)} s (its own durationMs ${fmt(d.result.durationMs / 1000, 2)} s) in ${t.runs} run(s), ${t.historyEvents} history events`,
      `    planning: ${t.plans} call(s), ${fmt(t.planMs, 0)} ms in all; first chunk scheduled ${fmt(t.firstChunkAfterMs, 0)} ms after the workflow started`,
      `    ${t.chunks} chunk activities: queued ${ms(t.chunkQueueMs)}; running ${ms(t.chunkRunMs)}; slot refilled after ${ms(t.refillGapMs)}; chunk slots busy ${fmt(t.slotBusyPct, 0)} %`,
      `    ${t.workflowTasks} workflow tasks, scheduled → completed ${ms(t.workflowTaskMs)}` +
        (t.continueAsNewGapMs.length ? `; continue-as-new gaps ${t.continueAsNewGapMs.map((g) => fmt(g, 0)).join(', ')} ms` : ''),
      ...(db
        ? [
            `    dev server database per chunk: ${fmt(db.callsPerJob, 1)} calls, ${fmt(db.latencyMsPerJob, 1)} ms summed; ${db.top
              .map((t) => `${t.operation} ${fmt(t.perJob, 1)}`)
              .join(', ')}`,
          ]
        : []),
      ...(d.frontendRequestsPerChunk
        ? [`    dev server gRPC requests per chunk: ${d.frontendRequestsPerChunk.map((r) => `${r.operation} ${fmt(r.per, 2)}`).join(', ')}`]
        : []),
      `    POST → workflow started ${fmt(d.startLagMs, 0)} ms; workflow closed → GET saw it completed ${fmt(d.endLagMs, 0)} ms (that last GET took ${fmt(d.lastGetMs, 0)} ms); GET /v1/jobs/{id} (polled every ${pollMs} ms): ${ms(d.getMs)}`,
    );
  }
  const bullmq = runs.filter((r) => r.system === 'bullmq').at(-1);
  if (bullmq) {
    const d = bullmq.detail as { addBulkMs: number; bulkSize: number; firstStartAfterMs?: number };
    lines.push(
      `  bullmq: addBulk of ${bullmq.items} jobs (${d.bulkSize} a call) took ${fmt(d.addBulkMs / 1000, 2)} s of the ${fmt(bullmq.ms / 1000, 2)} s; first job processed ${fmt(d.firstStartAfterMs, 0)} ms after the first add`,
    );
  }
  return lines;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([1, 2, 3, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
