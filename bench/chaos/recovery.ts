import type { Client } from '@temporalio/client';
import type { JobView } from '../../src/api/job-view';
import { TERMINAL_STATUSES } from '../../src/jobs/status';

export interface RecoveryFigure {
  uninterruptedMs: number;
  crashedMs: number;
  /** crashedMs − uninterruptedMs. */
  costMs: number;
  heartbeatTimeoutMs: number;
  killedAfterMs: number;
  attempts: number;
}

// Echo heartbeats every 2 s: the least timeout that does not fire on a live attempt, with room.
const HEARTBEAT_TIMEOUT_MS = 3_000;
const SLEEP_MS = 5_000;
const KILL_AFTER_MS = 1_500;

/**
 * Crash recovery time: the same echo job (5 s of work, heartbeat timeout 3 s) once undisturbed and once with
 * the worker running its attempt SIGKILLed 1.5 s in. Echo keeps no checkpoint, so the cost includes the
 * 1.5 s of work done again; the rest is detection (the heartbeat timeout) and the hand-over.
 */
export async function measureRecovery(apiUrl: string, client: Client): Promise<RecoveryFigure> {
  const uninterrupted = await runOnce(apiUrl);
  const crashed = await runOnce(apiUrl, async (id) => {
    const description = await client.workflow.getHandle(id).describe();
    const identity = description.raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
    const pid = Number(identity.split('@')[0]);
    if (!pid) throw new Error(`cannot tell which worker runs ${id} (identity "${identity}")`);
    process.kill(pid, 'SIGKILL');
  });
  return {
    uninterruptedMs: uninterrupted.ms,
    crashedMs: crashed.ms,
    costMs: crashed.ms - uninterrupted.ms,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    killedAfterMs: KILL_AFTER_MS,
    attempts: crashed.attempts,
  };
}

async function runOnce(apiUrl: string, kill?: (id: string) => Promise<void>): Promise<{ ms: number; attempts: number }> {
  const started = Date.now();
  const reply = await fetch(`${apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'echo',
      input: { value: 'recovery probe', sleepMs: SLEEP_MS },
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      retry: { initialIntervalMs: 100 },
    }),
  });
  if (reply.status !== 202) throw new Error(`recovery probe: ${reply.status} ${await reply.text()}`);
  const { id } = (await reply.json()) as { id: string };
  let runningSince: number | undefined;
  let killed = false;
  for (;;) {
    const job = (await (await fetch(`${apiUrl}/v1/jobs/${encodeURIComponent(id)}`)).json()) as JobView;
    if (job.status === 'completed') return { ms: Date.now() - started, attempts: job.attempts };
    if (TERMINAL_STATUSES.has(job.status)) throw new Error(`recovery probe ${id} ended ${job.status}: ${JSON.stringify(job.lastError)}`);
    if (job.status === 'running') runningSince ??= Date.now();
    if (kill && !killed && runningSince && Date.now() - runningSince >= KILL_AFTER_MS) {
      await kill(id);
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
