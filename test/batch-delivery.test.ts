import assert from 'node:assert/strict';
import { startItemTarget, type ItemTarget } from './support/item-target';
import { startStack, type Stack } from './support/stack';

const items = (count: number) => Array.from({ length: count }, (_, n) => ({ n }));

/** The most calls that fall in any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= ms) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('http-deliver: per-batch rate limit and per-host circuit breaker (real dev server, real HTTP)', function () {
  this.timeout(90_000);
  let stack: Stack;
  let target: ItemTarget;
  before(async () => {
    stack = await startStack();
  });
  beforeEach(async () => {
    target = await startItemTarget();
  });
  afterEach(() => target.close());
  after(() => stack.stop());

  it('keeps the whole batch under maxItemsPerSecond across its concurrent chunks', async () => {
    const rate = 20;
    const concurrency = 4;
    const res = await stack.submit({
      type: 'batch',
      input: {
        handler: 'http-deliver',
        handlerInput: { url: target.url },
        items: items(60),
        chunkSize: 5,
        concurrency,
        maxItemsPerSecond: rate,
      },
    });
    await stack.waitFor(res.body.id, (j) => j.status === 'completed', 30_000);
    const times = target.deliveries.map((d) => d.at);
    const elapsedS = (Math.max(...times) - Math.min(...times)) / 1000;
    const busiest = busiestWindow(times, 1_000);
    if (process.env.JOBLINE_TEST_REPORT)
      process.stdout.write(`60 items at ≤ ${rate}/s: ${elapsedS.toFixed(2)} s, busiest second ${busiest}\n`);
    assert.equal(target.accepted().size, 60);
    // Each chunk paces itself at rate / concurrency and may start with one item at once.
    assert.ok(busiest <= rate + concurrency, `${busiest} calls in one second`);
    assert.ok(60 / elapsedS <= rate * 1.1, `${(60 / elapsedS).toFixed(1)} items/s on average`);
  });

  it('waits behind an open breaker while the target is down, instead of hammering it or failing the items', async () => {
    target.setDecide(() => 503);
    const outageMs = 2_500;
    const halfOpenAfterMs = 400;
    const res = await stack.submit({
      type: 'batch',
      input: {
        handler: 'http-deliver',
        // Two tries per item: without the breaker, most items would be recorded as failed during the outage.
        handlerInput: { url: target.url, maxAttempts: 2, breaker: { failures: 3, halfOpenAfterMs } },
        items: items(30),
        chunkSize: 5,
        concurrency: 3,
      },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await stack.waitFor(res.body.id, (j) => j.status === 'running' && target.deliveries.length > 0);
    const outageStart = target.deliveries[0]!.at;
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    target.setDecide(() => 200);
    const done = await stack.waitFor(res.body.id, (j) => j.status === 'completed', 30_000);

    const duringOutage = target.deliveries.filter((d) => d.status === 503).length;
    const probes = Math.ceil(outageMs / halfOpenAfterMs);
    if (process.env.JOBLINE_TEST_REPORT)
      process.stdout.write(
        `calls during a ${outageMs} ms outage: ${duringOutage} (breaker: 3 failures, probe every ${halfOpenAfterMs} ms)\n`,
      );
    // 3 to open it, up to 3 already in flight, then about one probe per halfOpenAfterMs.
    assert.ok(duringOutage <= 3 + 3 + probes + 1, `${duringOutage} calls during the outage`);
    assert.ok(
      target.deliveries.some((d) => d.status === 503 && d.at - outageStart > halfOpenAfterMs),
      'probes went on during the outage',
    );
    assert.deepEqual({ failed: done.progress?.failed, succeeded: done.progress?.succeeded }, { failed: 0, succeeded: 30 });
    assert.equal(target.accepted().size, 30);
    assert.ok([...target.accepted().values()].every((times) => times === 1));
  });
});
