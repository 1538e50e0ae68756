import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { openApiDocument } from '../src/api/openapi';
import { rawRequest, type RawReply, type RawRequest } from './support/raw-http';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

/**
 * Keeps the "bad input answers 5xx" class closed (issue 10, item 5): every route the OpenAPI document lists
 * gets odd paths, query strings, headers and bodies, and must answer below 500, with problem+json for every
 * error. Nothing a refused request sent may start a workflow.
 *
 * JOBLINE_FUZZ_RUNS (cases per route, default 200) makes a long run a flag; JOBLINE_FUZZ_SEED replays one
 * (the seed is fixed by default so CI is reproducible, and printed with any failure). No worker runs: a case
 * the API accepts is an `echo` job that stays queued, so nothing calls out.
 */
const RUNS = Number(process.env.JOBLINE_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.JOBLINE_FUZZ_SEED ?? 20_251_010);

interface Operation {
  method: string;
  template: string;
  query: string[];
}

type Document = { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };

function operationsOf(document: Document): Operation[] {
  return Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      template,
      query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
}

/**
 * Mocha needs its tests before any hook runs, so they come from the document the API builds;
 * test/openapi.test.ts checks that the API serves exactly the routes the document lists.
 */
const DOCUMENT = openApiDocument() as Document;
const OPERATIONS: Operation[] = operationsOf(DOCUMENT);

const SAFE_PATH_CHARS = [..."abcXYZ019-._~!$&'()*+,;=:@%"];
const SAFE_TEXT_CHARS = [...'abcXYZ019 -._~!$&\'()*+,;=:@%/?#"{}[]\\'];

/** Path parameter values: odd encodings, traversal, NUL, unicode, ids too long to exist. */
function pathParam(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.map(encodeURIComponent)) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '%ZZ',
        '%',
        '%E0%A4%A',
        '%C0%AF',
        '%ED%A0%80',
        '%00',
        '..',
        '%2e%2e',
        '.',
        '%2F',
        'a%2Fb',
        '~',
        'echo-missing',
      ),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...SAFE_PATH_CHARS), minLength: 1, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 3_000 }).map((n) => 'a'.repeat(n)) },
  );
}

/** Cursors that look like ours but are not, and plain garbage. */
const cursor = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(encodeURIComponent),
  fc.base64String({ maxLength: 80 }).map((s) => s.replace(/=+$/, '')),
  fc
    .record(
      {
        CloseTime: fc
          .date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') })
          .map((d) => d.toISOString()),
        StartTime: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        RunID: fc.oneof(fc.uuid(), fc.string()),
        SearchAfter: fc.array(fc.jsonValue(), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    )
    .map((token) => Buffer.from(JSON.stringify(token)).toString('base64url')),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url')),
  fc.constant('a'.repeat(9_000)),
);

const oddQueryValue = fc.oneof(
  fc.constantFrom(
    '',
    '%ZZ',
    '%',
    '%00',
    '0',
    '-1',
    '1',
    '20',
    '100',
    '101',
    '1e3',
    '1.5',
    'NaN',
    'Infinity',
    '99999999999999999999',
    'echo',
    'http',
    'failed',
    'dead_lettered',
    'queued',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
);

/**
 * `wait` (GET /v1/jobs/{id}?wait=) holds a request until the job changes: short or invalid values only, so
 * that a case costs at most a fraction of a second (a valid long wait is test/job-events.test.ts's).
 */
const waitValue = fc.constantFrom('', '0', '0s', '100ms', '0.2', '61', '-1', '1e3', 'abc', '%ZZ', '30m', '99999999');

function queryString(names: string[]): fc.Arbitrary<string> {
  const known = names.map((name) =>
    fc
      .option(name === 'cursor' ? cursor : name === 'wait' ? waitValue : oddQueryValue, { nil: undefined, freq: 2 })
      .map((value) => (value === undefined ? [] : [`${name}=${value}`])),
  );
  const extra = fc.option(
    fc.constantFrom(
      'x=1',
      'limit=5&limit=6',
      '%ZZ=1',
      'cursor',
      '=',
      '&&',
      `${encodeURIComponent('\u0000')}=\u0000`.replace('\u0000', '%00'),
    ),
    { nil: undefined, freq: 4 },
  );
  return fc.tuple(fc.tuple(...known), extra).map(([parts, more]) => {
    const all = [...parts.flat(), ...(more === undefined ? [] : [more])];
    return all.length > 0 ? `?${all.join('&')}` : '';
  });
}

const echoJob = fc.record(
  {
    type: fc.constantFrom('echo', 'echo', 'echo', 'fax', ''),
    input: fc.record(
      { value: fc.jsonValue({ maxDepth: 4 }), sleepMs: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.jsonValue()) },
      { requiredKeys: [] },
    ),
    priority: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.string()),
    maxAttempts: fc.integer({ min: -1, max: 3 }),
    metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer())),
    delayMs: fc.integer({ min: -5, max: 5 }),
    dependsOn: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
  },
  { requiredKeys: ['type'] },
);

const schedule = fc.record(
  {
    id: fc.oneof(fc.constantFrom('fuzz-a', 'fuzz-b'), fc.string({ maxLength: 30 })),
    cron: fc.oneof(
      fc.constantFrom('0 0 1 1 *', '* * * *', '@every 1h', 'garbage', '0 0 31 2 *', '61 * * * *'),
      fc.array(fc.string(), { maxLength: 2 }),
    ),
    intervalMs: fc.oneof(fc.constantFrom(3_600_000, 999, 1_500, 0), fc.integer()),
    timezone: fc.constantFrom('UTC', 'utc', 'Europe/Paris', 'Mars/Olympus', ''),
    job: echoJob,
    paused: fc.oneof(fc.constant(true), fc.jsonValue()),
    overlap: fc.constantFrom('skip', 'allow_all', 'nope'),
    note: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: ['job'] },
);

/** The body bytes and whether they are gzip-compressed. */
const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: echoJob.map((job) => JSON.stringify(job)) },
  { weight: 2, arbitrary: schedule.map((s) => JSON.stringify(s)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 50, max: 6_000 }).map((n) => `{"type":"echo","input":{"value":${'['.repeat(n)}${']'.repeat(n)}}}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...SAFE_TEXT_CHARS), maxLength: 60 }) },
);

function headers(own: string, port: string): fc.Arbitrary<Record<string, string>> {
  // Mostly absent, so that most cases get past the guards to the route.
  const pick = <T>(arbitrary: fc.Arbitrary<T>, absentWeight = 2) =>
    fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
  return fc
    .record({
      'content-type': fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constant(undefined) },
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            'application/json; charset=utf-16',
            'application/json; charset=nope',
            'application/merge-patch+json',
            'garbage',
            '',
          ),
        },
      ),
      'content-encoding': pick(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip', 'GZIP')),
      'idempotency-key': pick(fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), fc.constant('k'.repeat(300)))),
      'x-correlation-id': pick(fc.string({ unit: 'grapheme-ascii', maxLength: 200 })),
      origin: pick(fc.constantFrom(own, 'http://evil.example', 'null', 'garbage', `http://localhost:${port}`), 4),
      host: pick(fc.constantFrom(`localhost:${port}`, 'evil.example', `[::1]:${port}`, 'a'.repeat(300)), 4),
      range: pick(fc.constantFrom('bytes=0-0', 'bytes=5-1', 'bytes=-0', 'bytes=abc', 'bytes=0-99999999999999999999')),
    })
    .map((all) => Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined)));
}

describe('fuzzing every documented route (no 5xx, problem+json errors, refused requests start nothing)', function () {
  this.timeout(Math.max(120_000, RUNS * 2_000));
  let stack: Stack;
  const known: string[] = ['fuzz-sched', 'summary.csv'];
  /** Ids of jobs and schedules the API accepted: every workflow on the task queue must be one of them. */
  const acceptedJobs = new Set<string>();
  const acceptedSchedules = new Set<string>(['fuzz-sched']);
  /** Answers by status, printed at the end: a run that only ever met 415 and 421 would prove little. */
  const statuses = new Map<number, number>();

  before(async function () {
    // A loaded machine can make Temporal slower than the API's default deadline, which rightly answers 503
    // temporal-unavailable; this test is about bad input, so the deadline is generous and a 503 means a defect.
    stack = await startStack({ worker: false, env: { JOBLINE_TEMPORAL_DEADLINE_MS: '30000' } });
    const served = JSON.parse((await rawRequest(stack.baseUrl, { method: 'GET', path: '/openapi.json' })).text) as Document;
    assert.deepEqual(served, JSON.parse(JSON.stringify(DOCUMENT)), 'the served /openapi.json is not the one the tests were made from');
    assert.ok(OPERATIONS.length >= 20, `only ${OPERATIONS.length} operations`);
    // Something real to aim at: a queued job and a paused schedule.
    const job = await stack.submit({ type: 'echo', input: { value: 'fuzz' } });
    assert.equal(job.status, 202);
    known.push(job.body.id);
    acceptedJobs.add(job.body.id);
    const created = await rawRequest(stack.baseUrl, {
      method: 'POST',
      path: '/v1/schedules',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'fuzz-sched', intervalMs: 3_600_000, paused: true, job: { type: 'echo', input: {} } }),
    });
    assert.equal(created.status, 201, created.text);
  });

  after(async function () {
    if (!stack) return;
    const { client } = testEnv();
    for (const id of acceptedSchedules)
      await client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    // Visibility trails a start by a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const unexplained: string[] = [];
    for await (const execution of client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
      const id = execution.workflowId;
      const explained =
        acceptedJobs.has(id) ||
        [...acceptedJobs].some((job) => id.startsWith(`${job}/`)) ||
        [...acceptedSchedules].some((s) => id.includes(`-schedule-${s}-`));
      if (!explained) unexplained.push(id);
    }
    await stack.stop();
    const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`);
    if (process.env.JOBLINE_TEST_REPORT)
      process.stdout.write(`fuzz answers by status (seed ${SEED}, ${RUNS} runs per route): ${counts.join(', ')}\n`);
    assert.deepEqual(unexplained, [], 'workflows that no accepted request started');
    // The guards answer 403, 415 and 421 before any route: most cases must get past them to prove anything.
    const total = [...statuses.values()].reduce((sum, n) => sum + n, 0);
    const guarded = [403, 415, 421].reduce((sum, status) => sum + (statuses.get(status) ?? 0), 0);
    assert.ok(total - guarded >= total * 0.4, `only ${total - guarded} of ${total} cases reached a route (${counts.join(', ')})`);
  });

  /** Records what an accepted request created, so the final check can tell it from a leak. */
  function account(request: RawRequest, reply: RawReply): void {
    if (reply.status >= 300 || !reply.headers['content-type']?.startsWith('application/json')) return;
    const parsed = JSON.parse(reply.text) as { id?: unknown };
    if (typeof parsed.id !== 'string') return;
    if (request.method === 'POST' && request.path.startsWith('/v1/jobs') && !request.path.includes('/', '/v1/jobs/'.length))
      acceptedJobs.add(parsed.id);
    if (request.method === 'POST' && request.path.startsWith('/v1/schedules') && reply.status === 201) acceptedSchedules.add(parsed.id);
  }

  for (const operation of OPERATIONS) {
    it(`${operation.method} ${operation.template}`, async function () {
      const port = new URL(stack.baseUrl).port;
      const params = [...operation.template.matchAll(/\{([^}]+)\}/g)].map(() => pathParam(known));
      const arbitrary = fc.record({
        params: fc.tuple(...params),
        query: queryString(operation.query),
        headers: headers(stack.baseUrl, port),
        body,
        gzip: fc.boolean(),
      });
      await fc
        .assert(
          fc.asyncProperty(arbitrary, async (generated) => {
            let i = 0;
            const path = operation.template.replace(/\{[^}]+\}/g, () => generated.params[i++] ?? '') + generated.query;
            const wantsGzip = generated.headers['content-encoding']?.toLowerCase() === 'gzip' && generated.gzip;
            const payload = generated.body === undefined ? undefined : wantsGzip ? gzipSync(generated.body) : generated.body;
            const request: RawRequest = { method: operation.method, path, headers: generated.headers, body: payload };
            const reply = await rawRequest(stack.baseUrl, request);
            const shown = () =>
              `${request.method} ${path.slice(0, 200)} ${JSON.stringify(request.headers)} body=${String(generated.body).slice(0, 200)} → ${reply.status} ${reply.text.slice(0, 300)}`;
            assert.ok(reply.status < 500, shown());
            if (reply.status >= 400) assert.match(reply.headers['content-type'] ?? '', /^application\/problem\+json/, shown());
            statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
            account(request, reply);
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true, verbose: 1 },
        )
        .catch((err: unknown) => {
          throw new Error(`${(err as Error).message}\nreplay with JOBLINE_FUZZ_SEED=${SEED} JOBLINE_FUZZ_RUNS=${RUNS}`);
        });
    });
  }
});
