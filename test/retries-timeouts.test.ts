import assert from 'node:assert/strict';
import { useStack } from './support/use-stack';

describe('retries and timeouts', function () {
  const suite = useStack();

  it('backs off exponentially with jitter: the gaps between attempts grow, and differ between jobs', async () => {
    const retry = { initialIntervalMs: 400, backoffCoefficient: 2.5, maxIntervalMs: 10_000, jitter: 0.3 };
    const jobs = await Promise.all(
      [0, 1].map(async () => {
        const target = await suite.target([503]);
        const { body } = await suite.stack.submit({ type: 'http', input: { url: target.url }, maxAttempts: 4, retry });
        return { id: body.id, target };
      }),
    );
    await Promise.all(jobs.map(({ id }) => suite.stack.waitFor(id, (j) => j.status === 'dead_lettered', 20_000)));

    const allGaps: number[][] = [];
    for (const { target } of jobs) {
      assert.equal(target.calls.length, 4);
      const gaps = target.calls.slice(1).map((call, i) => call.at - target.calls[i]!.at);
      allGaps.push(gaps);
      gaps.forEach((gap, i) => {
        const curve = retry.initialIntervalMs * retry.backoffCoefficient ** i;
        // Within [1 - jitter, 1] of the curve, plus the time a retry takes to be dispatched (generous: CI
        // machines are busy; the growth and spread checks are the point).
        assert.ok(gap >= curve * (1 - retry.jitter) - 20, `gap ${i + 1} was ${gap} ms, curve ${curve}`);
        assert.ok(gap <= curve + 1_000, `gap ${i + 1} was ${gap} ms, curve ${curve}`);
        if (i > 0) assert.ok(gap > gaps[i - 1]!, `gaps must grow: ${gaps.join(', ')}`);
      });
    }
    const differences = allGaps[0]!.map((gap, i) => Math.abs(gap - allGaps[1]![i]!));
    assert.ok(Math.max(...differences) > 15, `jitter should set the two jobs apart: ${JSON.stringify(allGaps)}`);
    // For the README: the measured gaps of one run.
    if (process.env.JOBLINE_TEST_REPORT) process.stdout.write(`backoff gaps (ms): ${JSON.stringify(allGaps)}\n`);
  });

  it('a per-attempt timeout retries the attempt, and dead-letters saying which timeout fired', async () => {
    const { body } = await suite.stack.submit({
      type: 'echo',
      input: { sleepMs: 5_000 },
      attemptTimeoutMs: 400,
      maxAttempts: 2,
      retry: { initialIntervalMs: 100 },
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered', 15_000);
    assert.equal(job.lastError?.type, 'AttemptTimeout');
    assert.equal(job.lastError?.timeout, 'attempt');
    assert.equal(job.attempts, 2);
  });

  it('a heartbeat timeout (the attempt stopped reporting) is retried and reported as such', async () => {
    // echo heartbeats every 2 s: a 1 s heartbeat timeout (the least allowed) looks like a lost worker.
    const { body } = await suite.stack.submit({
      type: 'echo',
      input: { sleepMs: 5_000 },
      heartbeatTimeoutMs: 1_000,
      maxAttempts: 2,
      retry: { initialIntervalMs: 100 },
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered', 15_000);
    assert.equal(job.lastError?.type, 'HeartbeatTimeout');
    assert.equal(job.lastError?.timeout, 'heartbeat');
  });

  it('the overall timeout ends the job as timed_out, whatever attempts remain', async () => {
    const { body } = await suite.stack.submit({
      type: 'echo',
      input: { sleepMs: 5_000 },
      attemptTimeoutMs: 300,
      timeoutMs: 1_200,
      maxAttempts: 50,
      retry: { initialIntervalMs: 100 },
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'timed_out', 15_000);
    assert.equal(job.lastError?.timeout, 'overall');
    assert.match(job.lastError?.message ?? '', /overall timeout of 1200 ms/);
    assert.ok(job.completedAt);
  });

  it('shows retrying with the last error and the next attempt time between attempts', async () => {
    const target = await suite.target([503, 503, 200]);
    const { body } = await suite.stack.submit({ type: 'http', input: { url: target.url }, retry: { initialIntervalMs: 1_500, jitter: 0 } });
    const retrying = await suite.stack.waitFor(body.id, (j) => j.status === 'retrying');
    assert.equal(retrying.attempts, 1);
    assert.equal(retrying.lastError?.type, 'HttpStatusError');
    assert.equal(retrying.lastError?.attempt, 1);
    assert.ok(retrying.nextAttemptAt && Date.parse(retrying.nextAttemptAt) > Date.now() - 100);
    await suite.stack.waitFor(body.id, (j) => j.status === 'completed', 15_000);
  });
});
