import assert from 'node:assert/strict';
import { useStack } from './support/use-stack';

/** The value of one sample in Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const body = line.slice(name.length);
    if (Object.entries(labels).every(([key, value]) => body.includes(`${key}="${value}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('API metrics (GET /metrics)', () => {
  const suite = useStack({ env: { JOBLINE_ALLOW_PRIVATE_TARGETS: '1' } });

  it('counts submissions by outcome, times requests by route template, and never labels by job id', async () => {
    const { stack } = suite;
    const accepted = await stack.submit({ type: 'echo', input: { value: 1 } }, { 'idempotency-key': 'metrics-1' });
    assert.equal(accepted.status, 202);
    const again = await stack.submit({ type: 'echo', input: { value: 1 } }, { 'idempotency-key': 'metrics-1' });
    assert.equal(again.status, 200);
    assert.equal((await stack.submit({ type: 'no-such-type' })).status, 400);
    assert.equal((await stack.submit({ type: 'echo', input: { sleepMs: -1 } })).status, 400);
    await stack.waitFor(accepted.body.id, (job) => job.status === 'completed');

    const response = await fetch(`${stack.baseUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.equal(sample(text, 'jobline_submissions_total', { type: 'echo', outcome: 'accepted' }), 1);
    assert.equal(sample(text, 'jobline_submissions_total', { type: 'echo', outcome: 'deduplicated' }), 1);
    assert.equal(sample(text, 'jobline_submissions_total', { type: 'unknown', outcome: 'rejected', reason: 'invalid-request' }), 1);
    assert.equal(sample(text, 'jobline_submissions_total', { type: 'echo', outcome: 'rejected', reason: 'invalid-request' }), 1);
    assert.ok(
      (sample(text, 'jobline_http_request_duration_seconds_count', { route: '/v1/jobs/:id', method: 'GET', status_class: '2xx' }) ?? 0) >=
        1,
    );
    assert.ok(!text.includes(accepted.body.id), 'a job id is never a label value');
    assert.ok(sample(text, 'process_cpu_user_seconds_total', {}) !== undefined, 'process basics');
  });

  it('reports the task queue backlog and pollers, and the dead letters by type', async () => {
    const { stack } = suite;
    const target = await suite.target([500]);
    const parked = await stack.submit({ type: 'http', input: { url: target.url }, maxAttempts: 1 });
    await stack.waitFor(parked.body.id, (job) => job.status === 'dead_lettered');
    const scrape = async () => (await fetch(`${stack.baseUrl}/metrics`)).text();
    const text = await scrape();
    for (const kind of ['workflow', 'activity']) {
      assert.ok((sample(text, 'jobline_task_queue_pollers', { task_queue: stack.taskQueue, kind }) ?? 0) >= 1, `${kind} pollers`);
      assert.equal(typeof sample(text, 'jobline_task_queue_backlog', { task_queue: stack.taskQueue, kind }), 'number');
      assert.equal(typeof sample(text, 'jobline_task_queue_backlog_age_seconds', { task_queue: stack.taskQueue, kind }), 'number');
    }
    // The count is cached for 10 s (a scrape must not become a count storm), and other suites' dead letters
    // share the namespace: at least this one, within the cache's lifetime.
    let deadLetters = sample(text, 'jobline_dead_letters', { type: 'http' }) ?? 0;
    for (let deadline = Date.now() + 20_000; deadLetters < 1 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      deadLetters = sample(await scrape(), 'jobline_dead_letters', { type: 'http' }) ?? 0;
    }
    assert.ok(deadLetters >= 1, `dead letters of type http: ${deadLetters}`);
  });
});
