import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Problem } from '../src/api/problem';
import { checkCronPeriod } from '../src/schedules/cron-period';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

const echo = (input: Record<string, unknown> = {}) => ({ type: 'echo', input });
const MINUTE = 60_000;

describe('bounds on what one request may start (issue 10, item 7)', function () {
  this.timeout(60_000);
  /** The defaults: one minute between firings, 100 schedules. */
  let stack: Stack;
  /** Five minutes between firings, at most 3 schedules. */
  let strict: Stack;
  const created: string[] = [];

  const post = async (target: Stack, path: string, body: unknown) => {
    const response = await fetch(`${target.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Problem & Record<string, unknown> };
  };

  const schedule = async (target: Stack, body: Record<string, unknown>) => {
    const id = `bounds-${randomUUID().slice(0, 8)}`;
    created.push(id);
    return { id, ...(await post(target, '/v1/schedules', { id, job: echo(), paused: true, ...body })) };
  };

  const exists = async (id: string) =>
    testEnv()
      .client.schedule.getHandle(id)
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof ScheduleNotFoundError) return false;
          throw err;
        },
      );

  /** A refusal is a 400 naming `field`, and nothing was created. */
  const refused = async (reply: { id?: string; status: number; body: Problem }, field: string, message: RegExp) => {
    assert.equal(reply.status, 400, JSON.stringify(reply.body));
    assert.equal(reply.body.type, '/problems/invalid-request');
    const error = reply.body.errors?.find((e) => e.field === field);
    assert.ok(error, `no error on ${field}: ${JSON.stringify(reply.body.errors)}`);
    assert.match(error.message, message);
    if (reply.id) assert.equal(await exists(reply.id), false, `schedule ${reply.id} was created`);
  };

  before(async () => {
    stack = await startStack({ worker: false });
    strict = await startStack({ worker: false, env: { JOBLINE_SCHEDULE_MIN_INTERVAL_MS: String(5 * MINUTE), JOBLINE_MAX_SCHEDULES: '3' } });
  });
  afterEach(async () => {
    const ids = created.splice(0);
    await Promise.all(
      ids.map((id) =>
        testEnv()
          .client.schedule.getHandle(id)
          .delete()
          .catch(() => undefined),
      ),
    );
  });
  after(async () => {
    await Promise.all([stack?.stop(), strict?.stop()]);
  });

  describe('schedules', () => {
    it('refuses @every 1s and accepts @every 1h', async () => {
      await refused(await schedule(stack, { cron: '@every 1s' }), 'cron', /every 1 s.*minimum period is 1 min/);
      const hourly = await schedule(stack, { cron: '@every 1h' });
      assert.equal(hourly.status, 201, JSON.stringify(hourly.body));
      assert.equal(await exists(hourly.id), true);
    });

    it('refuses `* * * * *` under a 5-minute minimum and accepts it under the 1-minute default', async () => {
      await refused(await schedule(strict, { cron: '* * * * *' }), 'cron', /every 1 min.*minimum period is 5 min/);
      const everyMinute = await schedule(stack, { cron: '* * * * *' });
      assert.equal(everyMinute.status, 201, JSON.stringify(everyMinute.body));
    });

    it('refuses an expression that never fires', async () => {
      await refused(await schedule(stack, { cron: '0 0 31 2 *' }), 'cron', /never fires/);
    });

    it('judges several expressions by their merged firings', async () => {
      // Each fires once a day; together they fire a minute apart around midnight.
      await refused(await schedule(strict, { cron: ['59 23 * * *', '0 0 * * *'] }), 'cron', /every 1 min/);
      await refused(await schedule(stack, { cron: ['0 * * * *', '0 0 L * *'] }), 'cron.1', /not supported/);
    });

    it('refuses an intervalMs below the minimum', async () => {
      await refused(await schedule(stack, { intervalMs: 30_000 }), 'intervalMs', /at least 60000/);
      await refused(await schedule(strict, { intervalMs: 4 * MINUTE }), 'intervalMs', /at least 300000/);
    });

    it('caps the number of schedules: the next one is a 409 and is not created', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const made = await schedule(strict, { intervalMs: 10 * MINUTE });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        ids.push(made.id);
      }
      const over = await schedule(strict, { intervalMs: 10 * MINUTE });
      assert.equal(over.status, 409, JSON.stringify(over.body));
      assert.equal(over.body.type, '/problems/schedule-limit');
      assert.match(over.body.detail, /JOBLINE_MAX_SCHEDULES=3/);
      assert.equal(await exists(over.id), false);

      // Deleting one frees its place.
      const deleted = await fetch(`${strict.baseUrl}/v1/schedules/${ids[0]}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      const again = await schedule(strict, { intervalMs: 10 * MINUTE });
      assert.equal(again.status, 201, JSON.stringify(again.body));
    });
  });

  describe('jobs', () => {
    it('refuses runAt in the year 9999 and before 2000, and a 1 ms heartbeat timeout', async () => {
      const before = await testEnv().client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
      await refused(await post(stack, '/v1/jobs', { ...echo(), runAt: '9999-01-01T00:00:00Z' }), 'runAt', /365 days/);
      await refused(await post(stack, '/v1/jobs', { ...echo(), runAt: '1999-12-31T23:59:59Z' }), 'runAt', /2000/);
      await refused(await post(stack, '/v1/jobs', { ...echo(), heartbeatTimeoutMs: 1 }), 'heartbeatTimeoutMs', /at least 1000/);
      await refused(await post(stack, '/v1/jobs', echo({ sleepMs: 600_000 })), 'input.sleepMs', /60000/);
      const after = await testEnv().client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
      assert.equal(after.count, before.count, 'a refused job started a workflow');
    });

    it('still accepts the edges: runAt within the year, heartbeatTimeoutMs 0 and 1000, sleepMs 60000', async () => {
      const soon = new Date(Date.now() + 300 * 24 * 3_600_000).toISOString();
      for (const body of [
        { ...echo(), runAt: soon },
        { ...echo(), heartbeatTimeoutMs: 0 },
        { ...echo(), heartbeatTimeoutMs: 1_000 },
        echo({ sleepMs: 60_000 }),
      ]) {
        const reply = await post(stack, '/v1/jobs', body);
        assert.equal(reply.status, 202, JSON.stringify(reply.body));
        await testEnv().client.workflow.getHandle(String(reply.body.id)).terminate('bounds test');
      }
    });
  });

  describe('cron evaluation (no server)', () => {
    const gapOf = (cron: string[], min: number) => checkCronPeriod(cron, 'Europe/Paris', min).map((i) => i.message);

    it('knows Temporal’s forms: shorthands, seconds, a year, a comment', () => {
      assert.deepEqual(gapOf(['@daily'], MINUTE), []);
      assert.deepEqual(gapOf(['@hourly'], 2 * 3_600_000).length, 1);
      assert.match(gapOf(['0,30 * * * * * *'], MINUTE)[0] ?? '', /every 30 s/);
      assert.match(gapOf(['0 12 * * * 2020'], MINUTE)[0] ?? '', /never fires/);
      assert.deepEqual(gapOf(['0 9 * * MON-FRI # weekdays'], MINUTE), []);
      // 29 February is within the four-year horizon.
      assert.deepEqual(gapOf(['0 0 29 2 *'], MINUTE), []);
      // Day of month AND day of week, as Temporal reads them: Friday the 13th, not every Friday and every 13th.
      assert.deepEqual(gapOf(['0 0 13 * FRI'], 20 * 24 * 3_600_000), []);
      assert.match(gapOf(['TZ=UTC 0 * * * *'], MINUTE)[0] ?? '', /timezone/);
      assert.match(gapOf(['@every 1h', '0 * * * *'], MINUTE)[0] ?? '', /only cron expression/);
    });
  });
});
