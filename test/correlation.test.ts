import assert from 'node:assert/strict';
import { logger } from '../src/logger';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';

describe('correlation ids', function () {
  let stack: Stack;
  let target: Target;
  const lines: Array<Record<string, unknown>> = [];
  let restore: () => void;
  before(async () => {
    stack = await startStack();
    target = await startTarget([503, 200]);
    const level = logger.level;
    const warn = logger.warn.bind(logger);
    logger.level = 'warn';
    logger.warn = ((object: unknown, ...rest: unknown[]) => {
      if (object && typeof object === 'object') lines.push(object as Record<string, unknown>);
      return warn(...([object, ...rest] as Parameters<typeof warn>));
    }) as typeof logger.warn;
    restore = () => {
      logger.warn = warn;
      logger.level = level;
    };
  });
  after(async () => {
    restore();
    await stack.stop();
    await target.close();
  });

  it('keeps X-Correlation-Id with the job, returns it, and puts it on workflow and activity log lines', async () => {
    const correlationId = `req-${Date.now()}`;
    const submitted = await stack.submit(
      { type: 'http', input: { url: target.url }, retry: { initialIntervalMs: 100 } },
      { 'x-correlation-id': correlationId },
    );
    assert.equal(submitted.headers.get('x-correlation-id'), correlationId);
    assert.equal(submitted.body.correlationId, correlationId);
    const job = await stack.waitFor(submitted.body.id, (j) => j.status === 'completed');
    assert.equal(job.correlationId, correlationId);

    // The first attempt's failure is logged by the SDK's activity worker: it must carry the id.
    const activityLines = lines.filter((line) => line.workflowId === job.id && line.activityType === 'callHttp');
    assert.ok(activityLines.length > 0, 'the failed attempt was logged');
    assert.ok(
      activityLines.every((line) => line.correlationId === correlationId),
      JSON.stringify(activityLines),
    );

    // A dead letter is logged by the workflow itself.
    const rejecting = await startTarget([400]);
    try {
      const parked = await stack.submit({ type: 'http', input: { url: rejecting.url } }, { 'x-correlation-id': `${correlationId}-2` });
      await stack.waitFor(parked.body.id, (j) => j.status === 'dead_lettered');
      const workflowLine = lines.find((line) => line.workflowId === parked.body.id && line.sdkComponent === 'workflow');
      assert.equal(workflowLine?.correlationId, `${correlationId}-2`);
    } finally {
      await rejecting.close();
    }
  });

  it('generates one when the client sends none', async () => {
    const submitted = await stack.submit({ type: 'echo', input: {} });
    assert.match(submitted.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});
