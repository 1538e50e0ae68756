import { performance } from 'node:perf_hooks';

/** Submits job number `index` and resolves with its id once the system has accepted it. */
export type SubmitFn = (index: number) => Promise<string>;

export interface Submission {
  id: string;
  /** Date.now() just before the request left: the zero of the job's latencies. */
  submittedAt: number;
  /** How long the submit call took (HTTP POST, workflow start or queue add), high resolution. */
  callMs: number;
}

export interface LoadResult {
  submissions: Submission[];
  errors: number;
  firstError?: string;
  /** Date.now() at the first submit and after the last answer. */
  startedAt: number;
  endedAt: number;
  /** Open loop only: how late the scheduler fired submits, at worst (bench-side lag). */
  maxLagMs?: number;
}

class Recorder {
  readonly submissions: Submission[] = [];
  errors = 0;
  firstError?: string;

  async run(submit: SubmitFn, index: number): Promise<void> {
    const submittedAt = Date.now();
    const t0 = performance.now();
    try {
      const id = await submit(index);
      this.submissions.push({ id, submittedAt, callMs: performance.now() - t0 });
    } catch (err) {
      this.errors += 1;
      this.firstError ??= err instanceof Error ? err.message : String(err);
    }
  }
}

/** Closed loop: `clients` loops submit `count` jobs between them, each waiting for its previous answer. */
export async function burst(count: number, clients: number, submit: SubmitFn): Promise<LoadResult> {
  const recorder = new Recorder();
  let next = 0;
  const startedAt = Date.now();
  const loop = async () => {
    while (next < count) await recorder.run(submit, next++);
  };
  await Promise.all(Array.from({ length: Math.min(clients, count) }, loop));
  return { ...recorder, submissions: recorder.submissions, startedAt, endedAt: Date.now() };
}

/**
 * Open loop: submits `count` jobs at `rate` per second on a fixed schedule, whether or not earlier ones
 * have been answered, so a slow answer does not hide the queueing behind it (no coordinated omission).
 */
export async function atRate(count: number, rate: number, submit: SubmitFn): Promise<LoadResult> {
  const recorder = new Recorder();
  const inFlight: Array<Promise<void>> = [];
  const intervalMs = 1000 / rate;
  const startedAt = Date.now();
  const t0 = performance.now();
  let maxLagMs = 0;
  let sent = 0;
  while (sent < count) {
    const now = performance.now() - t0;
    const due = Math.min(count, Math.floor(now / intervalMs) + 1);
    while (sent < due) {
      maxLagMs = Math.max(maxLagMs, now - sent * intervalMs);
      inFlight.push(recorder.run(submit, sent++));
    }
    if (sent < count) await sleep(Math.max(0, sent * intervalMs - (performance.now() - t0)));
  }
  await Promise.all(inFlight);
  return { ...recorder, submissions: recorder.submissions, startedAt, endedAt: Date.now(), maxLagMs };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
