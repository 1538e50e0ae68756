import assert from 'node:assert/strict';
import { startStack, type Stack } from './support/stack';

describe('priorities', function () {
  let stack: Stack;
  before(async () => {
    // One activity at a time, so that the order of the backlog decides the order of the work.
    stack = await startStack({ env: { JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: '1' } });
  });
  after(() => stack.stop());

  it('runs priority-1 jobs before most of a priority-5 backlog', async () => {
    const backlog: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      backlog.push((await stack.submit({ type: 'echo', input: { value: `low-${i}`, sleepMs: 300 }, priority: 5 })).body.id);
    }
    // Wait until the backlog is really queued behind the first one.
    await stack.waitFor(backlog[0]!, (j) => j.status === 'running');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const urgent: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      urgent.push((await stack.submit({ type: 'echo', input: { value: `high-${i}`, sleepMs: 300 }, priority: 1 })).body.id);
    }
    const finished = await Promise.all(
      [...backlog, ...urgent].map((id) => stack.waitFor(id, (j) => j.status === 'completed', 30_000)),
    );
    const doneAt = new Map(finished.map((job) => [job.id, Date.parse(job.completedAt!)]));
    for (const id of urgent) {
      const lowBefore = backlog.filter((low) => doneAt.get(low)! < doneAt.get(id)!).length;
      assert.ok(lowBefore <= 3, `${id} finished after ${lowBefore} of 8 priority-5 jobs`);
    }
    assert.equal(finished.find((j) => j.id === urgent[0])!.priority, 1);
  });
});
