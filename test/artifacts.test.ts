import assert from 'node:assert/strict';
import path from 'node:path';
import type { ReportJobResult } from '../src/activities/report';
import type { ArtifactMeta } from '../src/artifacts';
import { seedDemo } from '../src/reports/demo/seed';
import { databaseUrl, download, makeReportDirs, sha256, type ReportDirs } from './support/reports';
import { startS3Server, type S3Server } from './support/s3-server';
import { startStack, type Stack } from './support/stack';

const EXPECTED = [
  ['by-region-month.csv', 'text/csv; charset=utf-8'],
  ['by-region-month.json', 'application/json'],
  ['report.html', 'text/html; charset=utf-8'],
  ['top-products.csv', 'text/csv; charset=utf-8'],
  ['top-products.json', 'application/json'],
];

interface Listing {
  jobId: string;
  artifacts: (ArtifactMeta & { links: { download: string } })[];
}

/** Runs a report over 2,000 seeded rows and checks its artifacts through the API, for either store. */
function artifactRoutes(setup: () => { stack: Stack }) {
  let stack: Stack;
  let jobId: string;
  let result: ReportJobResult;
  before(async () => {
    stack = setup().stack;
    const { body } = await stack.submit({ type: 'report', input: { report: 'sales-summary', source: { type: 'csv', path: 'small.csv' } } });
    const job = await stack.waitFor(body.id, (j) => j.status === 'completed' || j.status === 'dead_lettered', 30_000);
    assert.equal(job.status, 'completed', JSON.stringify(job.lastError));
    jobId = job.id;
    result = job.result as ReportJobResult;
  });

  it('keeps only artifact metadata in the job result', () => {
    assert.deepEqual(result.artifacts.map((a) => [a.name, a.contentType]).sort(), EXPECTED);
    for (const meta of result.artifacts) assert.deepEqual(Object.keys(meta).sort(), ['contentType', 'created', 'name', 'sha256', 'size']);
  });

  it('lists the artifacts, and each downloads with its type, length and sha256', async () => {
    const response = await fetch(`${stack.baseUrl}/v1/jobs/${jobId}/artifacts`);
    assert.equal(response.status, 200);
    const listing = (await response.json()) as Listing;
    assert.equal(listing.artifacts.length, EXPECTED.length);
    for (const meta of listing.artifacts) {
      const fromResult = result.artifacts.find((a) => a.name === meta.name);
      assert.equal(meta.sha256, fromResult?.sha256);
      const file = await download(stack.baseUrl, meta.links.download);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('content-type'), meta.contentType);
      assert.equal(Number(file.headers.get('content-length')), meta.size);
      assert.equal(file.body.length, meta.size);
      assert.equal(sha256(file.body), meta.sha256);
    }
    const html = await download(stack.baseUrl, `/v1/jobs/${jobId}/artifacts/report.html`);
    assert.match(html.body.toString(), /<svg [^>]*role="img"/);
    const csv = await download(stack.baseUrl, `/v1/jobs/${jobId}/artifacts/by-region-month.csv`);
    assert.match(csv.body.toString(), /^region,month,orders,revenue,avg_order_value,p95_order_value\n/);
  });

  it('serves a byte range (206) and refuses one past the end (416)', async () => {
    const url = `/v1/jobs/${jobId}/artifacts/top-products.csv`;
    const whole = await download(stack.baseUrl, url);
    const part = await download(stack.baseUrl, url, { range: 'bytes=5-14' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 5-14/${whole.body.length}`);
    assert.equal(part.headers.get('content-length'), '10');
    assert.deepEqual(part.body, whole.body.subarray(5, 15));
    const past = await download(stack.baseUrl, url, { range: `bytes=${whole.body.length}-` });
    assert.equal(past.status, 416);
    assert.match(past.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('answers 404 problems for an unknown artifact or job', async () => {
    for (const url of [
      `/v1/jobs/${jobId}/artifacts/nope.csv`,
      `/v1/jobs/${jobId}/artifacts/..%2Fx.csv`,
      '/v1/jobs/report-unknown/artifacts',
    ]) {
      const response = await download(stack.baseUrl, url);
      assert.equal(response.status, 404, url);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
  });
}

describe('report artifacts over HTTP: local filesystem store', function () {
  this.timeout(60_000);
  let dirs: ReportDirs;
  let stack: Stack;
  before(async () => {
    dirs = makeReportDirs();
    await seedDemo({ rows: 2_000, seed: 5, csvFile: path.join(dirs.sourceDir, 'small.csv'), databaseUrl: databaseUrl() });
    stack = await startStack({ env: dirs.env });
  });
  after(async () => {
    await stack.stop();
    dirs.cleanup();
  });
  artifactRoutes(() => ({ stack }));
});

describe('report artifacts over HTTP: S3 store (s3rver)', function () {
  this.timeout(60_000);
  let dirs: ReportDirs;
  let s3: S3Server;
  let stack: Stack;
  before(async () => {
    dirs = makeReportDirs();
    s3 = await startS3Server();
    await seedDemo({ rows: 2_000, seed: 5, csvFile: path.join(dirs.sourceDir, 'small.csv'), databaseUrl: databaseUrl() });
    stack = await startStack({ env: { ...dirs.env, ...s3.env } });
  });
  after(async () => {
    await stack.stop();
    await s3.stop();
    dirs.cleanup();
  });
  artifactRoutes(() => ({ stack }));
});
