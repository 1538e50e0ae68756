import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../src/config';
import { attemptsOf, type AttemptRecord } from './support/job-history';
import { ProcessLog, type LogLine } from './support/process-log';
import { seriesValue } from './support/prom-text';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FLOOD = 40;
const CLASS = { class: 'default' };

describe('npm run autoscale (a real run: worker processes on the suite server)', function () {
  this.timeout(150_000);
  let stack: Stack;
  let autoscaler: ChildProcess;
  let log: ProcessLog;
  let exited: Promise<unknown>;

  before(async () => {
    stack = await startStack({ worker: false });
    autoscaler = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'src/autoscaler/cli.ts',
        ...['--class', 'default:1:3', '--target-backlog', '4', '--interval-ms', '1000'],
        ...['--up-cooldown-ms', '4000', '--cooldown-ms', '5000', '--max-backlog-age-ms', '120000', '--metrics-port', '0'],
      ],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: testEnv().server.address,
          TEMPORAL_NAMESPACE: testEnv().namespace,
          JOBLINE_TASK_QUEUE: stack.taskQueue,
          // Few slots, so that a small flood is a backlog; a grace time well above an attempt's 2 s.
          JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: '2',
          JOBLINE_SHUTDOWN_GRACE_MS: '15000',
          LOG_LEVEL: 'info',
        },
      },
    );
    log = new ProcessLog(autoscaler);
    exited = new Promise((resolve) => autoscaler.once('exit', resolve));
  });

  after(async () => {
    if (autoscaler.exitCode === null && autoscaler.signalCode === null) autoscaler.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
    // Never leave workers polling the shared server, whatever happened above.
    for (const line of log.find('autoscaler started a worker')) {
      try {
        process.kill(line.pid as number, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (!done) autoscaler.kill('SIGKILL');
    await stack.stop();
  });

  const metrics = async (): Promise<string> => {
    const started = await log.waitFor('autoscaler started');
    return (await fetch(started.metrics as string)).text();
  };
  const startedWorkers = () => log.find('autoscaler started a worker').map((line) => line.pid as number);

  it('scales up on a backlog, replaces a SIGKILLed worker, and drains back to one with SIGTERM; every job completes', async () => {
    try {
      await log.waitFor('worker started', undefined, 60_000);
      const submitted: string[] = [];
      for (let i = 0; i < FLOOD; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, (_, k) =>
            stack.submit({
              type: 'echo',
              input: { value: i + k, sleepMs: 2_000 },
              heartbeatTimeoutMs: 5_000,
              retry: { initialIntervalMs: 100 },
            }),
          ),
        );
        for (const reply of batch) {
          assert.equal(reply.status, 202, JSON.stringify(reply.body));
          submitted.push(reply.body.id);
        }
      }

      const up = await log.waitFor('autoscaler decision', (l) => l.direction === 'up' && (l.to as number) > 1, 30_000);
      assert.match(up.reason as string, /backlog \d+ > 1 × 4/);
      let text = await metrics();
      assert.ok((seriesValue(text, 'jobline_autoscaler_decisions_total', { ...CLASS, direction: 'up' }) ?? 0) >= 1, text);
      assert.ok((seriesValue(text, 'jobline_autoscaler_desired_workers', CLASS) ?? 0) > 1, text);

      // Three workers polling, then one of them dies: the pool replaces it.
      await log.waitFor('worker started', undefined, 60_000, 3);
      const victim = startedWorkers()[1]!;
      process.kill(victim, 'SIGKILL');
      await log.waitFor('worker exited unexpectedly; restarting it', (l) => l.pid === victim && l.signal === 'SIGKILL', 10_000);
      await log.waitFor('autoscaler started a worker', undefined, 15_000, 4);
      text = await metrics();
      assert.equal(seriesValue(text, 'jobline_autoscaler_worker_restarts_total', CLASS), 1, text);

      // A trickle keeps the workers busy while the backlog is low, so a drained worker has attempts in flight.
      const trickle = (async () => {
        while (log.find('worker drained and exited').length < 2 && submitted.length < FLOOD + 60) {
          const reply = await stack.submit({ type: 'echo', input: { value: 'trickle', sleepMs: 3_000 }, heartbeatTimeoutMs: 5_000 });
          submitted.push(reply.body.id);
          await sleep(1_000);
        }
      })();
      await log.waitFor('worker drained and exited', undefined, 70_000, 2);
      await trickle;

      const drains = log.find('autoscaler draining a worker (SIGTERM)');
      const drained = log.find('worker drained and exited');
      for (const line of drained) assert.equal(line.code, 0, `worker ${String(line.pid)} exited cleanly: ${JSON.stringify(line)}`);
      assert.ok(!drained.some((line) => line.signal === 'SIGKILL'));
      text = await metrics();
      assert.equal(seriesValue(text, 'jobline_autoscaler_desired_workers', CLASS), 1, text);
      assert.equal(seriesValue(text, 'jobline_autoscaler_workers', CLASS), 1, text);
      assert.equal(seriesValue(text, 'jobline_autoscaler_decisions_total', { ...CLASS, direction: 'down' }), 2, text);

      // Every job completed, and every attempt a drained worker had started, it finished itself.
      const histories = new Map<string, AttemptRecord[]>();
      for (const id of submitted) {
        await stack.waitFor(id, (j) => j.status === 'completed', 60_000);
        histories.set(id, await attemptsOf(id));
      }
      const drainedPids = new Set(drains.map((line) => line.pid as number));
      const drainAt = new Map<number, number>(drains.map((line: LogLine) => [line.pid as number, Date.parse(line.time as string)]));
      let inFlightAtDrain = 0;
      for (const [id, attempts] of histories) {
        for (const attempt of attempts.filter((a) => drainedPids.has(a.pid))) {
          assert.equal(attempt.outcome, 'completed', `job ${id}: attempt on drained worker ${attempt.pid} ended ${attempt.outcome}`);
          const at = drainAt.get(attempt.pid)!;
          if (attempt.startedAt < at && (attempt.endedAt ?? 0) > at) inFlightAtDrain += 1;
        }
        const onVictim = attempts.filter((a) => a.pid === victim);
        if (onVictim.length > 0) assert.equal(attempts.at(-1)?.outcome, 'completed', `job ${id} retried after the SIGKILL`);
      }
      assert.ok(inFlightAtDrain >= 1, 'a drained worker had attempts in flight when it got SIGTERM, and finished them');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${log.describe()}`);
    }
  });
});
