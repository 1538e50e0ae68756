import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { workflowInterceptorModules } from '../src/worker';
import { spawnApi, type ApiProcess } from './support/api-process';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { startTarget, type Target } from './support/target';
import { spawnWorker } from './support/worker-process';

// OTLP's SpanKind numbers (the JSON export's), not the OpenTelemetry JS API's.
const SERVER = 2;
const CLIENT = 3;

type LogLine = Record<string, unknown>;

/** Keeps a piped process's JSON log lines (and drains the pipe, so the process never blocks on it). */
function collectLines(child: ChildProcess): LogLine[] {
  const lines: LogLine[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (text) => {
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ text }); // not a log line (a stack trace, say): kept for failure messages
      }
    });
  }
  return lines;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A Jobline API and worker as processes of their own (tracing is per process), against the suite's server. */
async function startProcesses(taskQueue: string, env: Record<string, string>) {
  const worker = spawnWorker(taskQueue, env, { pipeOutput: true });
  const workerLines = collectLines(worker);
  const workerExited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let api: ApiProcess | undefined;
  try {
    api = await spawnApi(taskQueue, { ...env, LOG_LEVEL: 'info' }, { pipeOutput: true });
  } catch (err) {
    worker.kill('SIGTERM');
    await workerExited;
    throw err;
  }
  const apiLines = collectLines(api.child);
  const running = api;
  return {
    api: running,
    apiLines,
    workerLines,
    async submit(body: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(`${running.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 202, await response.clone().text());
      return ((await response.json()) as { id: string }).id;
    },
    async waitFor(id: string, status: string) {
      // The first worker start bundles the workflows: allow for it.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const response = await fetch(`${running.url}/v1/jobs/${encodeURIComponent(id)}`).catch((err: unknown) => {
          throw new Error(`the API is gone; its last lines: ${JSON.stringify(apiLines.slice(-20))}`, { cause: err });
        });
        const job = (await response.json()) as { status: string };
        if (job.status === status) return job;
        if (Date.now() > deadline)
          throw new Error(`job ${id} is ${job.status}, not ${status}; worker: ${JSON.stringify(workerLines.slice(-20))}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      await running.stop();
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
      await workerExited;
    },
  };
}

/** The span and every ancestor of it that the receiver has, nearest first. */
function ancestry(span: ReceivedSpan, all: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const chain = [span];
  for (
    let parent = span.parentSpanId && byId.get(span.parentSpanId);
    parent;
    parent = parent.parentSpanId && byId.get(parent.parentSpanId)
  ) {
    chain.push(parent);
  }
  return chain;
}

describe('tracing', function () {
  this.timeout(180_000);
  let receiver: OtlpReceiver;
  let target: Target;

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await target?.close();
  });

  it('follows one trace from the API request through StartWorkflow, the workflow and the activity to the outbound call', async () => {
    // 503 then 200: a retried attempt (whose warning is a worker log line); then a 400 that dead-letters (a workflow log line).
    target = await startTarget([503, 200, 400]);
    const stack = await startProcesses(`test-${randomUUID()}`, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      JOBLINE_ALLOW_PRIVATE_TARGETS: '1',
    });
    try {
      const correlationId = `trace-${randomUUID()}`;
      const id = await stack.submit(
        { type: 'http', input: { method: 'GET', url: `${target.url}/hook` }, retry: { initialIntervalMs: 100 } },
        { 'x-correlation-id': correlationId },
      );
      await stack.waitFor(id, 'completed');

      const spans = receiver.spans;
      const outbound = await until("both attempts' outbound call spans", () => {
        const found = spans.filter(
          (s) => s.kind === CLIENT && s.service === 'jobline-worker' && String(s.attributes['url.full']).startsWith(target.url),
        );
        return found.length >= 2 ? found : undefined;
      });
      const request = await until('the API request span', () =>
        spans.find((s) => s.kind === SERVER && s.service === 'jobline-api' && s.name === 'POST /v1/jobs'),
      );
      assert.equal(request.attributes['http.route'], '/v1/jobs');
      const traceId = request.traceId;
      const inTrace = () => spans.filter((s) => s.traceId === traceId);
      const [start, run, runActivity] = await until('the Temporal spans', () => {
        const found = [
          inTrace().find((s) => s.name === 'StartWorkflow:runJob'),
          inTrace().find((s) => s.name === 'RunWorkflow:runJob'),
          inTrace().find((s) => s.name === 'RunActivity:callHttp'),
        ];
        return found.every(Boolean) ? (found as ReceivedSpan[]) : undefined;
      });
      assert.equal(start!.service, 'jobline-api');
      assert.equal(start!.parentSpanId, request.spanId, 'StartWorkflow is a child of the request span');
      assert.equal(run!.service, 'jobline-worker');
      assert.ok(ancestry(run!, inTrace()).includes(start!), 'RunWorkflow descends from StartWorkflow');
      assert.ok(ancestry(runActivity!, inTrace()).includes(run!), 'RunActivity descends from RunWorkflow');

      // Both attempts' calls are in the job's trace, each under its own RunActivity span.
      for (const call of outbound) {
        assert.equal(call.traceId, traceId);
        const parent = spans.find((s) => s.spanId === call.parentSpanId);
        assert.equal(parent?.name, 'RunActivity:callHttp');
      }
      // …and the target saw the trace context of the call that reached it.
      assert.equal(target.calls.length, 2);
      for (const call of target.calls) {
        const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(call.headers.traceparent));
        assert.ok(match, `traceparent: ${String(call.headers.traceparent)}`);
        assert.equal(match[1], traceId);
        assert.ok(
          outbound.some((s) => s.spanId === match[2]),
          'the parent id is the outbound span',
        );
      }

      // Probes and scrapes are not traced.
      await fetch(`${stack.api.url}/healthz`);
      assert.ok(!spans.some((s) => s.name.includes('healthz') || s.attributes['url.path'] === '/healthz'));

      // Log lines: the API's request line, the worker's attempt warning, the workflow's dead-letter warning.
      const requestLine = await until('the API request log line', () =>
        stack.apiLines.find((l) => (l.req as { url?: string } | undefined)?.url === '/v1/jobs' && l.jobId === id),
      );
      assert.equal(requestLine.correlationId, correlationId);
      assert.equal(requestLine.trace_id, traceId, JSON.stringify(requestLine));
      const attemptLine = await until('the failed attempt log line', () =>
        stack.workerLines.find((l) => l.activityType === 'callHttp' && l.jobId === id),
      );
      assert.equal(attemptLine.correlationId, correlationId);
      assert.equal(attemptLine.trace_id, traceId);

      const parked = await stack.submit(
        { type: 'http', input: { method: 'GET', url: target.url } },
        { 'x-correlation-id': `${correlationId}-2` },
      );
      await stack.waitFor(parked, 'dead_lettered');
      const workflowLine = await until('the workflow log line', () =>
        stack.workerLines.find((l) => l.sdkComponent === 'workflow' && l.jobId === parked),
      );
      assert.equal(workflowLine.correlationId, `${correlationId}-2`);
      const parkedTrace = spans.find((s) => s.name === 'POST /v1/jobs' && s.traceId !== traceId)?.traceId;
      assert.ok(parkedTrace, 'the second submission has a trace of its own');
      assert.equal(workflowLine.trace_id, parkedTrace);
    } finally {
      await stack.stop();
    }
  });

  it('exports nothing, bundles no tracing and sends no trace context when no OTLP endpoint is set', async () => {
    // This process has no endpoint either: the suite's shared bundle has only Jobline's own interceptors.
    assert.deepEqual(workflowInterceptorModules(), [require.resolve('../src/workflows/interceptors')]);
    target = await startTarget([503, 200]);
    const stack = await startProcesses(`test-${randomUUID()}`, {
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      JOBLINE_ALLOW_PRIVATE_TARGETS: '1',
    });
    try {
      const correlationId = `untraced-${randomUUID()}`;
      const id = await stack.submit(
        { type: 'http', input: { url: target.url }, retry: { initialIntervalMs: 100 } },
        { 'x-correlation-id': correlationId },
      );
      await stack.waitFor(id, 'completed');
      assert.equal(target.calls.length, 2);
      assert.ok(target.calls.every((call) => call.headers.traceparent === undefined));
      const attemptLine = await until('the failed attempt log line', () =>
        stack.workerLines.find((l) => l.activityType === 'callHttp' && l.jobId === id),
      );
      assert.equal(attemptLine.correlationId, correlationId);
      assert.equal(attemptLine.trace_id, undefined);
      const requestLine = await until('the API request log line', () =>
        stack.apiLines.find((l) => (l.req as { url?: string } | undefined)?.url === '/v1/jobs' && l.jobId === id),
      );
      assert.equal(requestLine.correlationId, correlationId);
      assert.equal(requestLine.trace_id, undefined);
      // Nothing came (nor to the default endpoint, which no test listens on: no exporter exists to try).
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(receiver.requests, []);
    } finally {
      await stack.stop();
    }
  });
});
