import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { DeliveryView } from '../src/api/webhook-deliveries';
import { loadConfig } from '../src/config';
import { DEFAULT_WEBHOOK_RETRY, nextTryInMs } from '../src/webhooks/retry-policy';
import { bearer, writeKeyFile } from './support/api-keys';
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
    assert.deepEqual(body.notify, {
      url: `${receiver.url}/hooks`,
      events: ['completed', 'failed', 'cancelled', 'timed_out', 'dead_lettered'],
    });
    await stack.waitFor(body.id, (job) => job.status === 'completed');
    await until('three tries', () => (receiver.calls.length >= 3 ? true : undefined));
    const ids = new Set(receiver.calls.map((call) => headersOf(call)['webhook-id']));
    assert.deepEqual([...ids], [`${body.id}/webhook/completed`]);
    const third = receiver.calls[2]!;
    for (const key of [OLD_SECRET, NEW_SECRET]) {
      const payload = new Webhook(key).verify(third.body, headersOf(third)) as {
        type: string;
        timestamp: string;
        data: Record<string, unknown>;
      };
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

  it('leaves the job completed when the receiver is down, lists the delivery as failed, and redelivers it', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/down`;
    const { body } = await stack.submit({ type: 'echo', input: {}, notify: { url } });
    const job = await stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.equal(job.status, 'completed');
    const failed = await deliveryState(body.id, 'failed');
    assert.equal(failed.attempts, 3);
    assert.match(failed.lastError ?? '', /ECONNREFUSED/);
    const webhookId = `${body.id}/webhook/completed`;
    const listed = await until('the failures listing', async () => {
      const page = (await (await fetch(`${stack.baseUrl}/v1/webhook-failures?limit=100`)).json()) as { failures: DeliveryView[] };
      return page.failures.find((f) => f.webhookId === webhookId);
    });
    assert.equal(listed.jobId, body.id);
    assert.equal(listed.url, url);
    assert.equal((await stack.getJob(body.id)).status, 'completed');

    const receiver = await listenOn(port, 200);
    targets.push({ url, calls: receiver.calls, close: receiver.close });
    const redeliver = await fetch(`${stack.baseUrl}/v1/webhook-failures/${encodeURIComponent(webhookId)}/redeliver`, { method: 'POST' });
    assert.equal(redeliver.status, 202);
    await until('the redelivery', () => (receiver.calls.length > 0 ? true : undefined));
    const call = receiver.calls[0]!;
    assert.equal(headersOf(call)['webhook-id'], webhookId);
    assert.equal((new Webhook(OLD_SECRET).verify(call.body, headersOf(call)) as { type: string }).type, 'job.completed');
    const delivered = await deliveryState(body.id, 'delivered');
    assert.equal(delivered.attempts, 4);
    // A delivered webhook cannot be sent again, and an unknown one is 404.
    const again = await fetch(`${stack.baseUrl}/v1/webhook-failures/${encodeURIComponent(webhookId)}/redeliver`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const unknown = await fetch(`${stack.baseUrl}/v1/webhook-failures/${encodeURIComponent(`${body.id}/webhook/failed`)}/redeliver`, {
      method: 'POST',
    });
    assert.equal(unknown.status, 404);
  });

  it('stops at once on 410 Gone', async () => {
    const receiver = await target([410]);
    const { body } = await stack.submit({ type: 'echo', input: {}, notify: { url: receiver.url } });
    const failed = await deliveryState(body.id, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.lastStatus, 410);
    await sleep(1_000);
    assert.equal(receiver.calls.length, 1);
  });

  it('notifies each event asked for once, with its own webhook-id: dead-lettered, retried, completed', async () => {
    const receiver = await target([200]);
    const flaky = await target([400, 200]);
    const events = ['dead_lettered', 'retried', 'completed', 'running'];
    const { body } = await stack.submit({
      type: 'http',
      input: { url: flaky.url },
      maxAttempts: 1,
      notify: { url: receiver.url, events },
    });
    await stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal((await fetch(`${stack.baseUrl}/v1/dead-letters/${body.id}/retry`, { method: 'POST' })).status, 202);
    await stack.waitFor(body.id, (j) => j.status === 'completed');
    await until('four webhooks', () => (receiver.calls.length >= 4 ? true : undefined));
    await sleep(500);
    const seen = receiver.calls.map((call) => {
      const payload = new Webhook(NEW_SECRET).verify(call.body, headersOf(call)) as { type: string };
      return [headersOf(call)['webhook-id'], payload.type];
    });
    assert.deepEqual(seen.sort(), [
      [`${body.id}/webhook/completed`, 'job.completed'],
      [`${body.id}/webhook/dead_lettered`, 'job.dead_lettered'],
      [`${body.id}/webhook/retried`, 'job.retried'],
      [`${body.id}/webhook/running`, 'job.running'],
    ]);
    const deliveries = await until('four delivered', async () => {
      const found = await deliveriesOf(body.id);
      return found.length === 4 && found.every((d) => d.state === 'delivered') ? found : undefined;
    });
    assert.deepEqual(deliveries.map((d) => d.event).sort(), [...events].sort());
  });

  it('notifies for a pipeline node that asks, not for the others nor the pipeline', async () => {
    const receiver = await target([200]);
    const { body } = await stack.submit({
      type: 'pipeline',
      input: {
        nodes: [
          { id: 'a', type: 'echo', input: {}, notify: { url: receiver.url } },
          { id: 'b', type: 'echo', input: {}, dependsOn: ['a'] },
        ],
      },
    });
    await stack.waitFor(body.id, (j) => j.status === 'completed');
    await until('the node webhook', () => (receiver.calls.length > 0 ? true : undefined));
    await sleep(500);
    assert.deepEqual(
      receiver.calls.map((call) => headersOf(call)['webhook-id']),
      [`${body.id}/a/webhook/completed`],
    );
  });

  it("passes a schedule's notify to every run", async () => {
    const receiver = await target([200]);
    const id = `notify-${randomBytes(4).toString('hex')}`;
    const created = await fetch(`${stack.baseUrl}/v1/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, intervalMs: 3_600_000, paused: true, job: { type: 'echo', input: {}, notify: { url: receiver.url } } }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    try {
      for (let run = 0; run < 2; run += 1) {
        assert.equal((await fetch(`${stack.baseUrl}/v1/schedules/${id}/trigger`, { method: 'POST' })).status, 202);
        await until(`webhook of run ${run + 1}`, () => (receiver.calls.length > run ? true : undefined));
        await sleep(1_100); // the server appends the run's time, in seconds, to its id
      }
      const ids = receiver.calls.map((call) => headersOf(call)['webhook-id']!);
      assert.equal(new Set(ids).size, 2);
      for (const webhookId of ids) assert.match(webhookId, new RegExp(`^echo-schedule-${id}.*/webhook/completed$`));
      const runId = ids[0]!.replace(/\/webhook\/completed$/, '');
      assert.deepEqual((await stack.getJob(runId)).notify?.events, ['completed', 'failed', 'cancelled', 'timed_out', 'dead_lettered']);
    } finally {
      await fetch(`${stack.baseUrl}/v1/schedules/${id}`, { method: 'DELETE' });
    }
  });

  it('refuses bad notify input with 400 naming the field, and starts nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ url: 'ftp://example.com/hook' }, 'notify.url'],
      [{ url: 'not a url' }, 'notify.url'],
      [{ url: 'https://user:pw@example.com/hook' }, 'notify.url'],
      [{ url: 'https://example.com/hook', events: ['exploded'] }, 'notify.events.0'],
      [{ url: 'https://example.com/hook', events: [] }, 'notify.events'],
      [{ url: 'https://example.com/hook', extra: 1 }, 'notify'],
      [{ events: ['completed'] }, 'notify.url'],
    ];
    for (const [notify, field] of cases) {
      const key = `bad-notify-${randomBytes(6).toString('hex')}`;
      const { status, body, headers } = await stack.submit({ type: 'echo', input: {}, notify }, { 'idempotency-key': key });
      assert.equal(status, 400, JSON.stringify(notify));
      assert.match(headers.get('content-type') ?? '', /application\/problem\+json/);
      const errors = (body as unknown as { errors: Array<{ field: string }> }).errors;
      assert.ok(
        errors.some((e) => e.field === field),
        `${JSON.stringify(notify)}: ${JSON.stringify(errors)}`,
      );
      assert.equal((await fetch(`${stack.baseUrl}/v1/jobs/echo-idem-${key}`)).status, 404);
    }
  });
});

describe('webhooks at submission', function () {
  this.timeout(30_000);

  it('refuses a private receiver unless JOBLINE_ALLOW_PRIVATE_TARGETS=1, for a job and a pipeline node', async () => {
    const stack = await startStack({ worker: false, env: { ...WEBHOOK_ENV, JOBLINE_ALLOW_PRIVATE_TARGETS: '0' } });
    try {
      const own = await stack.submit({ type: 'echo', input: {}, notify: { url: 'http://127.0.0.1:9/hook' } });
      assert.equal(own.status, 400);
      assert.deepEqual(
        (own.body as unknown as { errors: Array<{ field: string }> }).errors.map((e) => e.field),
        ['notify.url'],
      );
      const node = await stack.submit({
        type: 'pipeline',
        input: { nodes: [{ id: 'a', type: 'echo', input: {}, notify: { url: 'http://localhost/hook' } }] },
      });
      assert.equal(node.status, 400);
      assert.deepEqual(
        (node.body as unknown as { errors: Array<{ field: string }> }).errors.map((e) => e.field),
        ['input.nodes.0.notify.url'],
      );
    } finally {
      await stack.stop();
    }
  });

  it('refuses notify when the server has no signing secret', async () => {
    const stack = await startStack({ worker: false });
    try {
      const { status, body } = await stack.submit({ type: 'echo', input: {}, notify: { url: 'https://example.com/hook' } });
      assert.equal(status, 400);
      assert.match(String(body.detail), /JOBLINE_WEBHOOK_SECRETS/);
      assert.deepEqual(
        (body as unknown as { errors: Array<{ field: string }> }).errors.map((e) => e.field),
        ['notify'],
      );
      // Jobs without notify are as before.
      assert.equal((await stack.submit({ type: 'echo', input: {} })).status, 202);
    } finally {
      await stack.stop();
    }
  });
});

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A receiver on a given port (one that was down before), answering `status` to everything. */
async function listenOn(port: number, status: number): Promise<{ calls: Call[]; close(): Promise<void> }> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('webhook retry policy and secrets (no server)', () => {
  it('stops on 410, after the last try and after a few client errors; honours a longer Retry-After; jitters down only', () => {
    const policy = { ...DEFAULT_WEBHOOK_RETRY, maxAttempts: 5 };
    assert.equal(nextTryInMs(policy, { attempt: 1, clientErrors: 0, status: 410 }), undefined);
    assert.equal(nextTryInMs(policy, { attempt: 5, clientErrors: 0, status: 503 }), undefined);
    assert.equal(nextTryInMs(policy, { attempt: 2, clientErrors: 2, status: 404 }), undefined);
    assert.equal(
      nextTryInMs(policy, { attempt: 2, clientErrors: 1, status: 404 }, () => 0),
      15_000,
    );
    assert.equal(
      nextTryInMs(policy, { attempt: 2, clientErrors: 2, status: 429 }, () => 0),
      15_000,
      '429 is not a refusal',
    );
    assert.equal(
      nextTryInMs(policy, { attempt: 1, clientErrors: 0, status: 503, retryAfterMs: 60_000 }, () => 0),
      60_000,
    );
    assert.equal(nextTryInMs(policy, { attempt: 1, clientErrors: 0, final: true }), undefined);
    assert.equal(
      nextTryInMs(policy, { attempt: 1, clientErrors: 0 }, () => 1),
      4_000,
    );
    assert.equal(
      nextTryInMs({ ...policy, maxAttempts: 12 }, { attempt: 11, clientErrors: 0 }, () => 0),
      6 * 60 * 60_000,
    );
  });

  it('refuses a malformed JOBLINE_WEBHOOK_SECRETS without quoting it', () => {
    const leaked = 'whsec_not*base64';
    assert.throws(
      () => loadConfig({ JOBLINE_WEBHOOK_SECRETS: `${NEW_SECRET},${leaked}` }),
      (err: Error) => /JOBLINE_WEBHOOK_SECRETS: entry 2 is not a whsec_/.test(err.message) && !err.message.includes(leaked),
    );
    assert.throws(() => loadConfig({ JOBLINE_WEBHOOK_SECRETS: `whsec_${Buffer.alloc(8).toString('base64')}` }), /entry 1/);
    assert.deepEqual(loadConfig({ JOBLINE_WEBHOOK_SECRETS: ` ${NEW_SECRET} , ${OLD_SECRET}` }).webhooks.secrets, [NEW_SECRET, OLD_SECRET]);
  });
});

describe('webhooks: tenants', function () {
  this.timeout(60_000);
  const { file, keys } = writeKeyFile([
    { id: 'hooks-a', tenant: `hooks-a-${process.pid}`, role: 'operator' },
    { id: 'hooks-b', tenant: `hooks-b-${process.pid}`, role: 'operator' },
  ]);
  let stack: Stack;
  let down: Target;
  before(async () => {
    stack = await startStack({ env: { ...WEBHOOK_ENV, JOBLINE_API_KEYS_FILE: file }, apiKey: keys['hooks-a'] });
    down = await startTarget([503]);
  });
  after(async () => {
    await stack?.stop();
    await down?.close();
  });

  it("lists only the caller's tenant's failed deliveries, and another tenant's redeliver is a 404", async () => {
    const { body } = await stack.submit({ type: 'echo', input: {}, notify: { url: `${down.url}/hooks` } });
    await stack.waitFor(body.id, (job) => job.status === 'completed');
    const webhookId = `${body.id}/webhook/completed`;
    const asTenant = (key: string) => async (method: string, path: string) => {
      const response = await fetch(`${stack.baseUrl}${path}`, { method, headers: { ...bearer(key), 'content-type': 'application/json' } });
      return { status: response.status, body: (await response.json()) as { failures?: Array<{ webhookId: string }>; detail?: string } };
    };
    const a = asTenant(keys['hooks-a']!);
    const b = asTenant(keys['hooks-b']!);
    await until('the failure listed for its tenant', async () => {
      const listed = await a('GET', '/v1/webhook-failures?limit=100');
      return listed.body.failures?.some((failure) => failure.webhookId === webhookId) ? true : undefined;
    });
    const seenByB = await b('GET', '/v1/webhook-failures?limit=100');
    assert.equal(seenByB.status, 200);
    assert.ok(!seenByB.body.failures?.some((failure) => failure.webhookId === webhookId), "another tenant's failure is not listed");
    const path = `/v1/webhook-failures/${encodeURIComponent(webhookId)}/redeliver`;
    const missing = await b('POST', `/v1/webhook-failures/${encodeURIComponent(`${body.id}/webhook/nothing`)}/redeliver`);
    const foreign = await b('POST', path);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.detail?.replace(webhookId, 'ID'), missing.body.detail?.replace(`${body.id}/webhook/nothing`, 'ID'));
    assert.equal((await a('POST', path)).status, 202);
  });
});
