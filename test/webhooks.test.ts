import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { JobView } from '../src/api/job-view';
import type { DeliveryView } from '../src/api/webhook-deliveries';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Call, type Target } from './support/target';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const OLD_SECRET = secret();
const NEW_SECRET = secret();
/** Short tries for the tests: 3 in all, 200 ms apart at first (README "Notifications" has the defaults). */
const WEBHOOK_ENV = {
  JOBLINE_WEBHOOK_SECRETS: `${NEW_SECRET},${OLD_SECRET}`,
  JOBLINE_WEBHOOK_MAX_ATTEMPTS: '3',
  JOBLINE_WEBHOOK_INITIAL_INTERVAL_MS: '200',
  JOBLINE_WEBHOOK_MAX_INTERVAL_MS: '1000',
};

const headersOf = (call: Call) => call.headers as Record<string, string>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('webhooks (notify)', function () {
  this.timeout(60_000);
  let stack: Stack;
  const targets: Target[] = [];
  before(async () => {
    stack = await startStack({ env: WEBHOOK_ENV });
  });
  after(async () => {
    await stack.stop();
    await Promise.all(targets.map((target) => target.close()));
  });
  const target = async (replies: number[]) => {
    const started = await startTarget(replies);
    targets.push(started);
    return started;
  };
  const deliveriesOf = async (id: string): Promise<DeliveryView[]> => (await stack.getJob(id)).notify?.deliveries ?? [];
  const deliveryState = (id: string, state: DeliveryView['state']) =>
    until(`a ${state} delivery of ${id}`, async () => (await deliveriesOf(id)).find((d) => d.state === state));

  it('retries a failing receiver with one webhook-id, and the third try verifies with either secret', async () => {
    const receiver = await target([500, 503, 200]);
    const { status, body } = await stack.submit({ type: 'echo', input: { value: 42 }, notify: { url: `${receiver.url}/hooks?token=abc` } });
    assert.equal(status, 202);
    assert.deepEqual(body.notify, { url: `${receiver.url}/hooks`, events: ['completed', 'failed', 'cancelled', 'timed_out', 'dead_lettered'] });
    await stack.waitFor(body.id, (job) => job.status === 'completed');
    await until('three tries', () => (receiver.calls.length >= 3 ? true : undefined));
    const ids = new Set(receiver.calls.map((call) => headersOf(call)['webhook-id']));
    assert.deepEqual([...ids], [`${body.id}/webhook/completed`]);
    const third = receiver.calls[2]!;
    for (const key of [OLD_SECRET, NEW_SECRET]) {
      const payload = new Webhook(key).verify(third.body, headersOf(third)) as { type: string; timestamp: string; data: Record<string, unknown> };
      assert.equal(payload.type, 'job.completed');
      assert.equal(payload.data.id, body.id);
      assert.equal(payload.data.status, 'completed');
      assert.deepEqual(payload.data.links, { self: `/v1/jobs/${body.id}`, result: `/v1/jobs/${body.id}/result` });
      assert.equal(payload.data.result, undefined);
    }
    assert.equal(headersOf(third)['webhook-signature']!.split(' ').length, 2);
    assert.throws(() => new Webhook(secret()).verify(third.body, headersOf(third)), /No matching signature/);
    const [delivery] = await until('the delivered state', async () => {
      const found = await deliveriesOf(body.id);
      return found[0]?.state === 'delivered' ? found : undefined;
    });
    assert.equal(delivery!.webhookId, `${body.id}/webhook/completed`);
    assert.equal(delivery!.event, 'completed');
    assert.equal(delivery!.attempts, 3);
    assert.equal(delivery!.lastStatus, 200);
    assert.ok(delivery!.deliveredAt);
    await sleep(1_000);
    assert.equal(receiver.calls.length, 3, 'no try after the delivery');
  });
});
