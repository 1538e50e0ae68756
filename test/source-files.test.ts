import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openInside, SourceFileRefusedError } from '../src/files/open-inside';
import { makeReportDirs, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';

/** What the file outside the source directory holds: no answer may ever quote it. */
const CANARY = 'JOBLINE-OUTSIDE-CANARY';
const ORDERS_CSV =
  'id,ordered_at,region,product,quantity,amount_cents\n1,2025-01-01T00:00:00Z,north,Mug,1,100\n2,2025-01-02T00:00:00Z,south,Mug,2,250\n';

interface FailedItems {
  items: Array<{ position: number; error: string }>;
}

describe('source files stay inside the source directory (real files, real symlinks)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let dirs: ReportDirs;
  let outsideDir: string;
  let outsideFile: string;

  before(async () => {
    dirs = makeReportDirs();
    outsideDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-outside-'));
    outsideFile = path.join(outsideDir, 'secret.txt');
    fs.writeFileSync(outsideFile, Array.from({ length: 5 }, (_, i) => `${CANARY} line ${i}: root:x:0:0`).join('\n') + '\n');
    fs.writeFileSync(path.join(dirs.sourceDir, 'orders.csv'), ORDERS_CSV);
    fs.mkdirSync(path.join(dirs.sourceDir, 'sub'));
    fs.writeFileSync(path.join(dirs.sourceDir, 'sub', 'items.ndjson'), '{"id":1}\n{"id":2}\n');
    fs.symlinkSync(outsideFile, path.join(dirs.sourceDir, 'escape.ndjson'));
    fs.symlinkSync(outsideFile, path.join(dirs.sourceDir, 'escape.csv'));
    fs.symlinkSync(outsideDir, path.join(dirs.sourceDir, 'out'));
    fs.symlinkSync(path.join(dirs.sourceDir, 'sub'), path.join(dirs.sourceDir, 'sublink'));
    fs.symlinkSync('sub/items.ndjson', path.join(dirs.sourceDir, 'inside.ndjson'));
    stack = await startStack({ env: dirs.env });
  });
  after(async () => {
    await stack?.stop();
    dirs.cleanup();
    fs.rmSync(outsideDir, { recursive: true, force: true });
  });

  const batchOver = (type: 'csv' | 'ndjson', file: string, extra: Record<string, unknown> = {}) =>
    stack.submit({ type: 'batch', input: { handler: 'noop', source: { type, path: file } }, ...extra });
  const reportOver = (type: 'csv' | 'ndjson', file: string, extra: Record<string, unknown> = {}) =>
    stack.submit({ type: 'report', input: { report: 'sales-summary', source: { type, path: file }, formats: ['json'] }, ...extra });
  const fieldErrors = (body: unknown) => (body as { errors?: Array<{ field: string; message: string }> }).errors ?? [];

  const refusals: Array<[string, string, RegExp]> = [
    ['a link to a file outside', 'escape.ndjson', /resolves outside the source directory/],
    ['a file through a linked directory outside', 'out/secret.txt', /resolves outside the source directory/],
    [
      'a missing file through a linked directory outside (same answer: no existence oracle)',
      'out/nothing.txt',
      /resolves outside the source directory/,
    ],
    ['a link to a directory', 'sublink', /not a regular file/],
    ['a directory', 'sub', /not a regular file/],
    ['a missing file', 'missing.ndjson', /no such source file: missing.ndjson/],
    ['`.`', '.', /must name a file/],
    ['`./`', './', /must name a file/],
    ['`sub/`', 'sub/', /must name a file/],
  ];
  for (const [what, file, reason] of refusals) {
    it(`refuses ${what} with a 400 naming input.source.path, for a batch and a report`, async () => {
      for (const submit of [() => batchOver('ndjson', file), () => reportOver('ndjson', file)]) {
        const { status, body } = await submit();
        assert.equal(status, 400, JSON.stringify(body));
        const errors = fieldErrors(body);
        const error = errors.find((e) => e.field === 'input.source.path');
        assert.ok(error, JSON.stringify(errors));
        assert.match(error.message, reason);
        assert.doesNotMatch(JSON.stringify(body), new RegExp(`${CANARY}|${outsideDir}`));
      }
    });
  }

  it('reads a link that stays inside the directory (links within it are allowed)', async () => {
    for (const file of ['inside.ndjson', 'sublink/items.ndjson']) {
      const res = await batchOver('ndjson', file);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const done = await stack.waitFor(res.body.id, (j) => j.status === 'completed');
      assert.equal(done.progress?.succeeded, 2);
    }
  });

  it('fails, without quoting the file, a batch and a report whose file became a link outside after submission', async () => {
    for (const [kind, submit] of [
      ['batch', (file: string) => batchOver('ndjson', file, { delayMs: 1_500 })],
      ['report', (file: string) => reportOver('csv', file, { delayMs: 1_500 })],
    ] as const) {
      const file = `swapped-${kind}.${kind === 'batch' ? 'ndjson' : 'csv'}`;
      fs.writeFileSync(path.join(dirs.sourceDir, file), kind === 'batch' ? '{"id":1}\n' : ORDERS_CSV);
      const res = await submit(file);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      // The API saw a plain file; before the worker opens it, it becomes a link to the file outside.
      fs.rmSync(path.join(dirs.sourceDir, file));
      fs.symlinkSync(outsideFile, path.join(dirs.sourceDir, file));
      const parked = await stack.waitFor(
        res.body.id,
        (j) => j.status === 'dead_lettered' || j.status === 'failed' || j.status === 'completed',
      );
      assert.equal(parked.status, 'dead_lettered', JSON.stringify(parked));
      assert.equal(parked.lastError?.type, kind === 'batch' ? 'InvalidBatchSource' : 'InvalidReportSource');
      assert.match(parked.lastError?.message ?? '', /resolves outside the source directory/);
      if (kind === 'report') assert.equal(parked.attempts, 1, 'a refusal is not retried');
      const everything = JSON.stringify(parked);
      assert.ok(!everything.includes(CANARY), everything);
      assert.ok(!everything.includes(outsideDir), 'the link target is not named');
    }
  });

  it('quotes a long bad line as a short excerpt in failed-items and in a report’s lastError', async () => {
    const long = `${'A'.repeat(70)}${'B'.repeat(5_000)}`;
    fs.writeFileSync(path.join(dirs.sourceDir, 'long.ndjson'), `${long}\n{"id":1}\n`);
    const res = await batchOver('ndjson', 'long.ndjson');
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await stack.waitFor(res.body.id, (j) => j.status === 'completed' || j.status === 'dead_lettered' || j.status === 'failed');
    const failed = (await fetch(`${stack.baseUrl}/v1/jobs/${res.body.id}/failed-items`).then((r) => r.json())) as FailedItems;
    assert.equal(failed.items.length, 1, JSON.stringify(failed));
    const error = failed.items[0]!.error;
    assert.match(error, /^not a JSON line: A{70}B{10}…$/);

    const report = await reportOver('ndjson', 'long.ndjson');
    assert.equal(report.status, 202, JSON.stringify(report.body));
    const parked = await stack.waitFor(report.body.id, (j) => j.status === 'dead_lettered' || j.status === 'failed');
    const message = parked.lastError?.message ?? '';
    assert.match(message, /not a JSON line: A{70}B{10}…/);
    assert.ok(message.length < 200, message);
  });

  it('a bad CSV row is quoted as a short excerpt too', async () => {
    fs.writeFileSync(path.join(dirs.sourceDir, 'bad-row.csv'), `${ORDERS_CSV}3,2025-01-03T00:00:00Z,${'x'.repeat(4_000)},Mug,1,oops\n`);
    const report = await reportOver('csv', 'bad-row.csv');
    assert.equal(report.status, 202, JSON.stringify(report.body));
    const parked = await stack.waitFor(report.body.id, (j) => j.status === 'dead_lettered' || j.status === 'failed');
    const message = parked.lastError?.message ?? '';
    assert.match(message, /^bad order row: .{80}…$/);
  });
});

describe('openInside (the one way source files are opened)', () => {
  let root: string;
  let outside: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-open-inside-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-open-outside-'));
    fs.writeFileSync(path.join(root, 'a.txt'), 'inside a\n');
    fs.writeFileSync(path.join(outside, 'b.txt'), `${CANARY}\n`);
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('keeps reading the file it opened when the name becomes a link outside afterwards', async () => {
    const handle = await openInside(root, 'a.txt');
    fs.rmSync(path.join(root, 'a.txt'));
    fs.symlinkSync(path.join(outside, 'b.txt'), path.join(root, 'a.txt'));
    try {
      assert.equal((await handle.readFile()).toString('utf8'), 'inside a\n');
    } finally {
      await handle.close();
    }
    await assert.rejects(openInside(root, 'a.txt'), (err: unknown) => err instanceof SourceFileRefusedError && err.problem === 'outside');
  });

  it('refuses `..`, absolute paths and a FIFO without hanging', async () => {
    for (const relative of ['../x', 'a/../../x', path.join(outside, 'b.txt')]) {
      await assert.rejects(
        openInside(root, relative),
        (err: unknown) => err instanceof SourceFileRefusedError && err.problem === 'outside',
      );
    }
    const fifo = path.join(root, 'pipe');
    const made = (await import('node:child_process')).spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return; // no mkfifo here: the rest of the test still stands
    await assert.rejects(openInside(root, 'pipe'), (err: unknown) => err instanceof SourceFileRefusedError && err.problem === 'not-a-file');
  });
});
