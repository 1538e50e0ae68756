import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';
import { testEnv } from './support/temporal-env';
import { spawnWorker } from './support/worker-process';

describe('a worker killed mid-attempt (SIGKILL)', function () {
  this.timeout(90_000);
  let stack: Stack;
  let target: Target;
  let worker: ChildProcess | undefined;
  before(async () => {
    // The API only: the first attempt runs in the child process.
    stack = await startStack({ worker: false });
    // The first call hangs (the worker dies during it); the retry succeeds.
    target = await startTarget([
      { status: 200, delayMs: 60_000 },
      { status: 200, body: 'second worker' },
    ]);
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await stack.stop();
    await target.close();
  });

  it('loses nothing: the next worker retries the attempt once the heartbeat times out, and the job completes once', async () => {
    worker = spawnWorker(stack.taskQueue, { JOBLINE_ALLOW_PRIVATE_TARGETS: '1' });
    const { body } = await stack.submit({
      type: 'http',
      input: { url: `${target.url}/charge`, timeoutMs: 120_000 },
      heartbeatTimeoutMs: 2_000,
      retry: { initialIntervalMs: 100 },
    });
    await stack.waitFor(body.id, (j) => j.status === 'running' && target.calls.length === 1, 60_000);
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));

    const replacement = await startStack({ env: { JOBLINE_TASK_QUEUE: stack.taskQueue } });
    try {
      const done = await replacement.waitFor(body.id, (j) => j.status === 'completed', 30_000);
      assert.equal(done.attempts, 2);
      assert.equal((done.result as { body: string }).body, 'second worker');
      assert.equal(target.calls.length, 2, 'one call per attempt: the dead attempt and its retry');
      const runs = await testEnv().client.workflow.count(`WorkflowId = '${body.id}'`);
      assert.equal(runs.count, 1);
    } finally {
      await replacement.stop();
    }
  });
});
