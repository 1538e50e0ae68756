import type { StartEntry } from './ipc';
import { atRate, burst, sleep, type LoadResult, type SubmitFn } from './load';
import type { PhaseUsage, ProcessMonitor } from './procfs';
import { persistenceUsage, type PersistenceSnapshot, type PersistenceUsage } from './server-metrics';
import { perSecond, summarize, type Summary } from './stats';

export type ScenarioName = 'jobline' | 'raw-temporal' | 'bullmq';
export const SCENARIOS: readonly ScenarioName[] = ['jobline', 'raw-temporal', 'bullmq'];

export interface Completions {
  /** Job id → Date.now()-comparable ms at which the system recorded it finished. */
  finishedAt: Map<string, number>;
  /** Temporal: history events per finished workflow. */
  historyLengths?: number[];
  /** Temporal: history bytes per finished workflow. */
  historySizes?: number[];
}

/** One system under test, seen the same way for every scenario. */
export interface System {
  name: ScenarioName;
  submit: SubmitFn;
  /** Waits until these jobs have finished (or the timeout passes) and returns when each one finished. */
  completions(ids: readonly string[], since: number, timeoutMs: number): Promise<Completions>;
  /** Temporal: the dev server's persistence counters. */
  persistence?: () => Promise<PersistenceSnapshot>;
  /** When each job's work began, as the worker noted it (see ipc.ts StartClock), since the last call. */
  collectStarts(): Promise<StartEntry[]>;
}

export type LoadPlan = { mode: 'burst'; jobs: number; clients: number } | { mode: 'rate'; jobs: number; rate: number };

export interface PhaseResult {
  scenario: ScenarioName;
  mode: LoadPlan['mode'];
  jobs: number;
  clients?: number;
  offeredRate?: number;
  accepted: number;
  submitErrors: number;
  firstError?: string;
  started: number;
  completed: number;
  /** Accepted jobs per second, from the first submit to the last answer. */
  submittedPerSec: number;
  /** Finished jobs per second, from the first submit to the last completion. */
  completedPerSec: number;
  submitToStartMs?: Summary;
  submitToCompleteMs?: Summary;
  /** Duration of the submit call itself (POST /v1/jobs, workflow start, queue add). */
  submitCallMs?: Summary;
  /** Open loop: the bench's worst lateness in firing a submit. */
  schedulerMaxLagMs?: number;
  /** Temporal: mean history events per job. */
  historyEventsPerJob?: number;
  /** Temporal: mean history size per job, bytes. */
  historyBytesPerJob?: number;
  /** Temporal: the dev server's database work per job. */
  persistence?: PersistenceUsage;
  usage: PhaseUsage;
}

/** Runs one load plan against a system and measures it from the submit to the end of the work. */
export async function runPhase(system: System, monitor: ProcessMonitor, plan: LoadPlan, timeoutMs: number): Promise<PhaseResult> {
  await system.collectStarts(); // forget anything noted before this phase
  await sleep(500); // let the previous phase's tail settle
  const dbBefore = await system.persistence?.();
  const mark = monitor.startPhase();
  const since = Date.now();
  const load = await drive(system, plan);
  const ids = load.submissions.map((s) => s.id);
  const finished = await system.completions(ids, since, timeoutMs);
  const usage = monitor.endPhase(mark);
  const dbAfter = await system.persistence?.();
  const starts = new Map(await system.collectStarts());
  const result = measure(system.name, plan, load, starts, finished.finishedAt, usage);
  if (finished.historyLengths?.length) {
    result.historyEventsPerJob = finished.historyLengths.reduce((a, b) => a + b, 0) / finished.historyLengths.length;
  }
  if (finished.historySizes?.length) {
    result.historyBytesPerJob = finished.historySizes.reduce((a, b) => a + b, 0) / finished.historySizes.length;
  }
  // The count includes the bench's own few visibility queries (a handful per phase).
  if (dbBefore && dbAfter) result.persistence = persistenceUsage(dbBefore, dbAfter, load.submissions.length);
  return result;
}

/** A few jobs first, so that JIT, connections, caches and pollers are warm; not measured. */
export async function warmUp(system: System, jobs: number, clients: number, timeoutMs: number): Promise<void> {
  if (jobs <= 0) return;
  const since = Date.now();
  const load = await burst(jobs, clients, system.submit);
  if (load.errors > 0) throw new Error(`${system.name}: ${load.errors} of ${jobs} warm-up submits failed: ${load.firstError}`);
  const { finishedAt: finished } = await system.completions(
    load.submissions.map((s) => s.id),
    since,
    timeoutMs,
  );
  if (finished.size < jobs)
    throw new Error(`${system.name}: only ${finished.size} of ${jobs} warm-up jobs finished within ${timeoutMs} ms`);
  await system.collectStarts();
}

function drive(system: System, plan: LoadPlan): Promise<LoadResult> {
  return plan.mode === 'burst' ? burst(plan.jobs, plan.clients, system.submit) : atRate(plan.jobs, plan.rate, system.submit);
}

function measure(
  scenario: ScenarioName,
  plan: LoadPlan,
  load: LoadResult,
  starts: Map<string, number>,
  finished: Map<string, number>,
  usage: PhaseUsage,
): PhaseResult {
  const toStart: number[] = [];
  const toComplete: number[] = [];
  let lastCompletion = load.startedAt;
  for (const s of load.submissions) {
    const startedAt = starts.get(s.id);
    if (startedAt !== undefined) toStart.push(startedAt - s.submittedAt);
    const completedAt = finished.get(s.id);
    if (completedAt !== undefined) {
      toComplete.push(completedAt - s.submittedAt);
      lastCompletion = Math.max(lastCompletion, completedAt);
    }
  }
  return {
    scenario,
    mode: plan.mode,
    jobs: plan.jobs,
    ...(plan.mode === 'burst' ? { clients: plan.clients } : { offeredRate: plan.rate }),
    accepted: load.submissions.length,
    submitErrors: load.errors,
    ...(load.firstError ? { firstError: load.firstError } : {}),
    started: toStart.length,
    completed: toComplete.length,
    submittedPerSec: perSecond(load.submissions.length, load.startedAt, load.endedAt),
    completedPerSec: perSecond(toComplete.length, load.startedAt, lastCompletion),
    submitToStartMs: summarize(toStart),
    submitToCompleteMs: summarize(toComplete),
    submitCallMs: summarize(load.submissions.map((s) => s.callMs)),
    ...(load.maxLagMs !== undefined ? { schedulerMaxLagMs: load.maxLagMs } : {}),
    usage,
  };
}
