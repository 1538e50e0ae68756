import assert from 'node:assert/strict';
import path from 'node:path';
import type { JobView } from '../src/api/job-view';
import { seedDemo } from '../src/reports/demo/seed';
import { databaseUrl, makeReportDirs, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';

/** Fast enough that progress and running show within a test, and keep-alives show on an idle stream. */
const POLL_MS = 250;
const KEEPALIVE_MS = 300;

interface Received {
  type: string;
  id: string;
  data: Record<string, unknown>;
}

type EventSourceClass = typeof import('eventsource', { with: { 'resolution-mode': 'import' } }).EventSource;
let EventSourceImpl: EventSourceClass;

/**
 * Reads a job's stream with a real EventSource client until `stop` holds (by default: the `end` event), then
 * closes it. `lastEventId` is sent as a reconnecting EventSource sends it.
 */
async function watch(
  baseUrl: string,
  id: string,
  options: { lastEventId?: string; stop?: (events: Received[]) => boolean; timeoutMs?: number } = {},
): Promise<Received[]> {
  const received: Received[] = [];
  const stop = options.stop ?? ((events) => events.at(-1)?.type === 'end');
  const source = new EventSourceImpl(`${baseUrl}/v1/jobs/${encodeURIComponent(id)}/events`, {
    fetch: (url, init) =>
      fetch(url, { ...init, headers: { ...init.headers, ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}) } }),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no end in ${options.timeoutMs ?? 30_000} ms; got ${JSON.stringify(received)}`)),
        options.timeoutMs ?? 30_000,
      );
      for (const type of ['status', 'progress', 'end']) {
        source.addEventListener(type, (event) => {
          const message = event as unknown as { data: string; lastEventId: string };
          received.push({ type, id: message.lastEventId, data: JSON.parse(message.data) as Record<string, unknown> });
          if (stop(received)) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
  } finally {
    source.close();
  }
  return received;
}

const statuses = (events: Received[]) => events.filter((e) => e.type === 'status').map((e) => e.data.status);

describe('live status: GET /v1/jobs/{id}/events (Server-Sent Events) and ?wait', function () {
  this.timeout(60_000);
  let stack: Stack;
  let dirs: ReportDirs;
  const targets: Target[] = [];

  before(async () => {
    ({ EventSource: EventSourceImpl } = await import('eventsource'));
    dirs = makeReportDirs();
    stack = await startStack({
      env: {
        ...dirs.env,
        JOBLINE_SSE_POLL_MS: String(POLL_MS),
        JOBLINE_SSE_KEEPALIVE_MS: String(KEEPALIVE_MS),
        JOBLINE_REPORT_CHECKPOINT_MS: '100',
      },
    });
  });
  after(async () => {
    await stack.stop();
    await Promise.all(targets.map((t) => t.close()));
    dirs.cleanup();
  });

  async function echo(sleepMs: number): Promise<string> {
    const { status, body } = await stack.submit({ type: 'echo', input: { value: 'hi', sleepMs } });
    assert.equal(status, 202);
    return body.id;
  }

  it('shows an echo job queued → running → completed, in order, then its view in `end`', async () => {
    const id = await echo(1_500);
    const events = await watch(stack.baseUrl, id);
    assert.deepEqual(statuses(events), ['queued', 'running', 'completed']);
    const running = events.find((e) => e.data.status === 'running')!;
    assert.equal(running.data.attempt, 1);
    assert.ok(!Number.isNaN(Date.parse(running.data.at as string)));
    const end = events.at(-1)!;
    assert.equal(end.type, 'end');
    const view = end.data as unknown as JobView;
    assert.equal(view.status, 'completed');
    assert.deepEqual(view.result, { value: 'hi' });
    // Every id is distinct and later than the one before.
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
  });

  it('resumes after Last-Event-ID with exactly what followed: no repeat, no gap, the same ids as a full replay', async () => {
    const id = await echo(2_500);
    const firstPart = await watch(stack.baseUrl, id, { stop: (events) => events.some((e) => e.data.status === 'running') });
    const last = firstPart.at(-1)!;
    const rest = await watch(stack.baseUrl, id, { lastEventId: last.id });
    assert.ok(rest.length >= 2, JSON.stringify(rest));
    const replay = await watch(stack.baseUrl, id);
    const key = (e: Received) => `${e.type} ${e.id} ${JSON.stringify(e.type === 'end' ? {} : { ...e.data, at: undefined })}`;
    // Progress samples are not history: a replay has the transitions; compare the status and end events.
    const transitions = (events: Received[]) => events.filter((e) => e.type !== 'progress').map(key);
    assert.deepEqual([...transitions(firstPart), ...transitions(rest)], transitions(replay));
    assert.ok(!rest.some((e) => firstPart.some((f) => f.id === e.id)), 'nothing repeated');
    // A client that saw the end and reconnects is told there is nothing more (204: an EventSource stops).
    const after = await fetch(`${stack.baseUrl}/v1/jobs/${id}/events`, { headers: { 'Last-Event-ID': replay.at(-1)!.id } });
    assert.equal(after.status, 204);
  });

  it('answers a finished job’s history of transitions and `end` at once', async () => {
    const id = await echo(0);
    await stack.waitFor(id, (j) => j.status === 'completed');
    const response = await fetch(`${stack.baseUrl}/v1/jobs/${id}/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    // The body ends by itself: the stream closes after `end`.
    const text = await response.text();
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(types, ['status', 'status', 'status', 'end']);
    assert.deepEqual(
      [...text.matchAll(/^data: (.*)$/gm)].slice(0, 3).map((m) => (JSON.parse(m[1]!) as { status: string }).status),
      ['queued', 'running', 'completed'],
    );
  });

  it('sends keep-alive comments on an idle stream', async () => {
    const id = await echo(3_000);
    const controller = new AbortController();
    const response = await fetch(`${stack.baseUrl}/v1/jobs/${id}/events`, { signal: controller.signal });
    const reader = response.body!.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes(': keep-alive') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    controller.abort();
    assert.match(text, /^: keep-alive$/m);
  });

  it('answers 404 problem+json for an unknown job before any stream starts, and 400 for a bad Last-Event-ID', async () => {
    const missing = await fetch(`${stack.baseUrl}/v1/jobs/no-such-job/events`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(((await missing.json()) as { status: number }).status, 404);
    const id = await echo(0);
    const bad = await fetch(`${stack.baseUrl}/v1/jobs/${id}/events`, { headers: { 'Last-Event-ID': 'yesterday' } });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
  });

  it('streams a report’s progress from its heartbeats, at most one sample per poll period', async () => {
    await seedDemo({ rows: 20_000, seed: 5, csvFile: path.join(dirs.sourceDir, 'progress.csv'), databaseUrl: databaseUrl() });
    const { body } = await stack.submit({
      type: 'report',
      input: { report: 'sales-summary', source: { type: 'csv', path: 'progress.csv' }, formats: ['json'], maxRowsPerSecond: 5_000 },
      // Heartbeats reach the server every second anyway (JOBLINE_WORKER_MAX_HEARTBEAT_THROTTLE_MS); a longer
      // timeout keeps a loaded machine from timing the attempt out, which would restart its progress.
      heartbeatTimeoutMs: 5_000,
    });
    const events = await watch(stack.baseUrl, body.id, { timeoutMs: 45_000 });
    const progress = events.filter((e) => e.type === 'progress').map((e) => e.data as { done: number; unit: string; at: string });
    assert.ok(progress.length >= 2, `progress events: ${JSON.stringify(progress)}`);
    assert.ok(
      progress.every((p) => p.unit === 'rows' && p.done >= 0 && p.done <= 20_000),
      JSON.stringify(progress),
    );
    for (let i = 1; i < progress.length; i += 1) {
      assert.ok(progress[i]!.done > progress[i - 1]!.done, 'each sample moves forward');
      // Throttled: samples come from one read per poll period, however often the attempt heartbeats.
      assert.ok(Date.parse(progress[i]!.at) - Date.parse(progress[i - 1]!.at) >= POLL_MS * 0.8, 'at most one sample per period');
    }
    // Progress sits between running and the end.
    const types = events.map((e) => (e.type === 'status' ? e.data.status : e.type));
    assert.ok(types.indexOf('running') < types.indexOf('progress'));
    assert.deepEqual(statuses(events).slice(-1), ['completed']);
  });

  it('shows a dead-lettered job, then its return after a retry from the dead letters', async () => {
    const target = await startTarget([500, 200]);
    targets.push(target);
    const { body } = await stack.submit({ type: 'http', input: { url: `${target.url}/hook` }, maxAttempts: 1 });
    const untilParked = await watch(stack.baseUrl, body.id, { stop: (events) => statuses(events).includes('dead_lettered') });
    assert.deepEqual(statuses(untilParked).slice(-1), ['dead_lettered']);
    const retried = await fetch(`${stack.baseUrl}/v1/dead-letters/${body.id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 202);
    const rest = await watch(stack.baseUrl, body.id, { lastEventId: untilParked.at(-1)!.id });
    assert.equal(statuses(rest)[0], 'queued', 'back from the dead letters');
    assert.deepEqual(statuses(rest).slice(-1), ['completed']);
    const replay = await watch(stack.baseUrl, body.id);
    const all = statuses(replay);
    assert.ok(all.indexOf('dead_lettered') > 0 && all.lastIndexOf('queued') > all.indexOf('dead_lettered'), all.join(' → '));
    assert.deepEqual(all.slice(-1), ['completed']);
  });

  it('shows an attempt waiting to retry (from the pending activity) and the attempt that succeeded', async () => {
    const target = await startTarget([503, 200]);
    targets.push(target);
    const { body } = await stack.submit({
      type: 'http',
      input: { url: `${target.url}/flaky` },
      maxAttempts: 3,
      retry: { initialIntervalMs: 1_500, backoffCoefficient: 1 },
    });
    const events = await watch(stack.baseUrl, body.id);
    const shown = events.filter((e) => e.type === 'status').map((e) => `${String(e.data.status)}#${String(e.data.attempt)}`);
    // The first attempt may fail before a poll sees it running: the history keeps only the attempt that ended the activity.
    assert.deepEqual(
      shown.filter((s) => s !== 'running#1'),
      ['queued#1', 'retrying#2', 'running#2', 'completed#2'],
    );
  });

  describe('GET /v1/jobs/{id}?wait=', () => {
    it('answers as soon as the status changes', async () => {
      const id = await echo(1_000);
      await stack.waitFor(id, (j) => j.status === 'running');
      const started = Date.now();
      const response = await fetch(`${stack.baseUrl}/v1/jobs/${id}?wait=30s`);
      assert.equal(response.status, 200);
      const job = (await response.json()) as JobView;
      assert.equal(job.status, 'completed');
      assert.ok(Date.now() - started < 20_000, 'long before the wait ended');
    });

    it('answers at the deadline when nothing changed (Prefer: wait=1), with the same view', async () => {
      const id = await echo(8_000);
      await stack.waitFor(id, (j) => j.status === 'running');
      const started = Date.now();
      const response = await fetch(`${stack.baseUrl}/v1/jobs/${id}`, { headers: { Prefer: 'wait=1' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('preference-applied'), 'wait=1');
      assert.equal(((await response.json()) as JobView).status, 'running');
      assert.ok(Date.now() - started >= 900, 'it waited');
    });

    it('refuses a wait outside 0–60 s with 400 problem+json', async () => {
      const id = await echo(0);
      for (const wait of ['61s', '-1', 'soon', '1h']) {
        const response = await fetch(`${stack.baseUrl}/v1/jobs/${id}?wait=${wait}`);
        assert.equal(response.status, 400, wait);
        assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const prefer = await fetch(`${stack.baseUrl}/v1/jobs/${id}`, { headers: { Prefer: 'wait=120' } });
      assert.equal(prefer.status, 400);
      const none = await fetch(`${stack.baseUrl}/v1/jobs/${id}?wait=0`);
      assert.equal(none.status, 200);
    });
  });
});
