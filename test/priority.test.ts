import assert from 'node:assert/strict';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

/** Whether the job's activity task is in the queue (or the job already got past it). */
async function activityScheduled(id: string): Promise<boolean> {
  const description = await testEnv().client.workflow.getHandle(id).describe();
  return description.status.name !== 'RUNNING' || (description.raw.pendingActivities?.length ?? 0) > 0;
}

describe('priorities', function () {
  let stack: Stack;
  before(async () => {
    // One activity at a time, so that the order of the backlog decides the order of the work.
    stack = await startStack({ env: { JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: '1' } });
  });
  after(() => stack.stop());

  it('runs priority-1 jobs before the priority-5 backlog that was waiting in the queue', async () => {
    const backlog: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      backlog.push((await stack.submit({ type: 'echo', input: { value: `low-${i}`, sleepMs: 400 }, priority: 5 })).body.id);
    }
    // A backlog means activity tasks in the queue: wait until every low job's workflow has scheduled its
    // activity (a workflow task still pending could hand its activity straight to the worker, eagerly).
    for (let i = 0; i < 100; i += 1) {
      if ((await Promise.all(backlog.map(activityScheduled))).every(Boolean)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const waiting = (await Promise.all(backlog.map((id) => stack.getJob(id)))).filter((j) => j.status === 'queued').map((j) => j.id);
    assert.ok(waiting.length >= 6, `a backlog of queued priority-5 jobs (${waiting.length})`);

    const urgent: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      urgent.push((await stack.submit({ type: 'echo', input: { value: `high-${i}`, sleepMs: 400 }, priority: 1 })).body.id);
    }
    const finished = await Promise.all([...backlog, ...urgent].map((id) => stack.waitFor(id, (j) => j.status === 'completed', 60_000)));
    const doneAt = new Map(finished.map((job) => [job.id, Date.parse(job.completedAt!)]));
    for (const id of urgent) {
      const overtaken = waiting.filter((low) => doneAt.get(low)! < doneAt.get(id)!).length;
      // Without priorities each would come after all of them; allow one that was being dispatched as the
      // urgent ones arrived.
      assert.ok(overtaken <= 1, `${id} finished after ${overtaken} of the ${waiting.length} queued priority-5 jobs`);
    }
    assert.equal(finished.find((j) => j.id === urgent[0])!.priority, 1);
  });
});
