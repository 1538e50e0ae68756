import autocannon from 'autocannon';
import type { Client } from '@temporalio/client';
import { sleep } from '../load';
import type { PhaseUsage, ProcessMonitor } from '../procfs';

export interface AutocannonResult {
  mode: 'burst' | 'rate';
  connections: number;
  durationSec: number;
  offeredRate?: number;
  requests: number;
  accepted: number;
  non2xx: number;
  errors: number;
  /** Answers per second over the run. */
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Jobs the worker finished afterwards, out of `accepted` (the bench waits for them before going on). */
  jobsFinished: number;
  usage: PhaseUsage;
}

export interface AutocannonPlan {
  url: string;
  connections: number;
  rate?: number;
  durationSec: number;
}

/**
 * POST /v1/jobs through autocannon, the API alone in focus. With a rate, autocannon corrects latencies for
 * coordinated omission. The worker still runs every accepted job; the bench waits for them afterwards so
 * the next phase starts clean.
 */
export async function autocannonPhase(
  plan: AutocannonPlan,
  monitor: ProcessMonitor,
  client: Client,
  taskQueue: string,
  timeoutMs: number,
): Promise<AutocannonResult> {
  await sleep(500);
  const since = Date.now();
  const mark = monitor.startPhase();
  const result = await autocannon({
    url: `${plan.url}/v1/jobs`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'echo', input: { value: 1 } }),
    connections: plan.connections,
    timeout: 30,
    duration: plan.durationSec,
    ...(plan.rate !== undefined ? { overallRate: plan.rate } : {}),
  });
  const usage = monitor.endPhase(mark);
  const accepted = result['2xx'];
  const jobsFinished = await waitForClosed(client, taskQueue, since, accepted, timeoutMs);
  return {
    mode: plan.rate !== undefined ? 'rate' : 'burst',
    connections: plan.connections,
    durationSec: plan.durationSec,
    ...(plan.rate !== undefined ? { offeredRate: plan.rate } : {}),
    requests: result.requests.sent,
    accepted,
    non2xx: result.non2xx,
    errors: result.errors,
    requestsPerSec: result.duration > 0 ? (accepted + result.non2xx) / result.duration : Number.NaN,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    jobsFinished,
    usage,
  };
}

async function waitForClosed(client: Client, taskQueue: string, since: number, expected: number, timeoutMs: number): Promise<number> {
  const query = `TaskQueue = "${taskQueue}" AND StartTime >= "${new Date(since).toISOString()}" AND ExecutionStatus != "Running"`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= expected || Date.now() > deadline) return count;
    await sleep(250);
  }
}
