import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { createArtifactStore, type ArtifactStore } from '../src/artifacts';
import { sizeFromContentRange } from '../src/artifacts/s3-store';
import { InvalidArtifactKeyError } from '../src/artifacts/store';
import { parseByteRange } from '../src/api/byte-range';
import { loadConfig } from '../src/config';
import { sha256 } from './support/reports';
import { startS3Server, type S3Server } from './support/s3-server';

/** The contract both stores keep; run against the filesystem and against a real S3-compatible server. */
function storeContract(makeStore: () => ArtifactStore) {
  let store: ArtifactStore;
  before(() => {
    store = makeStore();
  });

  it('puts an artifact and returns its metadata; stat and list agree', async () => {
    const body = Buffer.from('region,revenue\nnorth,10\n');
    const meta = await store.put('report-1', 'by-region.csv', 'text/csv; charset=utf-8', body);
    assert.deepEqual(
      { ...meta, created: undefined },
      {
        name: 'by-region.csv',
        contentType: 'text/csv; charset=utf-8',
        size: body.length,
        sha256: sha256(body),
        created: undefined,
      },
    );
    assert.ok(!Number.isNaN(Date.parse(meta.created)));
    assert.deepEqual(await store.stat('report-1', 'by-region.csv'), meta);
    assert.deepEqual(await store.list('report-1'), [meta]);
  });

  it('replaces the artifact under the same key: one copy, the new bytes', async () => {
    await store.put('report-2', 'a.json', 'application/json', Buffer.from('{"v":1}'));
    const second = await store.put('report-2', 'a.json', 'application/json', Buffer.from('{"v":22}'));
    const listed = await store.list('report-2');
    assert.deepEqual(listed, [second]);
    const download = await store.open('report-2', 'a.json');
    assert.equal(await text(download!.body), '{"v":22}');
  });

  it('reads a byte range', async () => {
    await store.put('report-3', 'r.csv', 'text/csv', Buffer.from('0123456789'));
    const download = await store.open('report-3', 'r.csv', { start: 2, end: 5 });
    assert.equal(await text(download!.body), '2345');
    assert.equal(download!.meta.size, 10, 'the metadata is the whole artifact’s');
  });

  it('answers undefined / empty for what does not exist', async () => {
    assert.equal(await store.stat('report-none', 'x.csv'), undefined);
    assert.equal(await store.open('report-none', 'x.csv'), undefined);
    assert.deepEqual(await store.list('report-none'), []);
  });

  it('keeps a pipeline node’s artifacts apart from its pipeline’s', async () => {
    await store.put('pipeline-1', 'r.csv', 'text/csv', Buffer.from('pipeline'));
    await store.put('pipeline-1/report', 'r.csv', 'text/csv', Buffer.from('node'));
    assert.equal(await text((await store.open('pipeline-1/report', 'r.csv'))!.body), 'node');
    assert.equal(await text((await store.open('pipeline-1', 'r.csv'))!.body), 'pipeline');
    assert.deepEqual(
      (await store.list('pipeline-1')).map((meta) => meta.name),
      ['r.csv'],
    );
  });

  it('refuses keys that could leave the store', async () => {
    for (const [jobId, name] of [
      ['..', 'x.csv'],
      ['report-1', '../x.csv'],
      ['a/b/c', 'x.csv'],
      ['a/..', 'x.csv'],
      ['report-1', 'x'],
    ]) {
      await assert.rejects(store.put(jobId!, name!, 'text/plain', Buffer.from('x')), InvalidArtifactKeyError, `${jobId} ${name}`);
    }
  });
}

describe('artifact store: local filesystem', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-artifacts-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  storeContract(() => createArtifactStore({ store: 'fs', dir }));

  it('keeps metadata and bytes consistent when two writers race on one key, and leaves no temp files', async () => {
    const store = createArtifactStore({ store: 'fs', dir });
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.put('report-race', 'x.csv', 'text/csv', Buffer.from(`v${i}`))));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'report-race')).sort(), ['blobs', 'x.csv.meta.json']);
    assert.ok(
      fs.readdirSync(path.join(dir, 'report-race', 'blobs')).every((f) => /^[0-9a-f]{64}$/.test(f)),
      'no temp files',
    );
    const download = await store.open('report-race', 'x.csv');
    const body = Buffer.from(await text(download!.body));
    assert.equal(download!.meta.sha256, sha256(body));
    assert.equal(download!.meta.size, body.length);
  });
});

describe('artifact store: S3 (against s3rver, an S3-compatible server)', () => {
  let s3: S3Server;
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    await s3?.stop();
  });

  storeContract(() => createArtifactStore(loadConfig(s3.env).artifacts));
});

describe('artifact helpers', () => {
  it('parses Range headers', () => {
    assert.deepEqual(parseByteRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseByteRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseByteRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseByteRange('bytes=50-500', 100), { start: 50, end: 99 });
    assert.equal(parseByteRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseByteRange(undefined, 100), undefined);
    assert.equal(parseByteRange('bytes=0-1,5-6', 100), undefined, 'several ranges: the whole body');
    assert.equal(parseByteRange('items=0-1', 100), undefined);
  });

  it('reads the full size from a Content-Range', () => {
    assert.equal(sizeFromContentRange('bytes 0-9/1234'), 1234);
    assert.equal(sizeFromContentRange(undefined), undefined);
  });

  it('configures S3 from the environment and refuses half a configuration', () => {
    assert.throws(() => loadConfig({ JOBLINE_ARTIFACT_STORE: 's3' }), /JOBLINE_S3_BUCKET/);
    assert.throws(() => loadConfig({ JOBLINE_ARTIFACT_STORE: 's3', JOBLINE_S3_BUCKET: 'b-1', JOBLINE_S3_ACCESS_KEY_ID: 'x' }), /together/);
    const config = loadConfig({ JOBLINE_ARTIFACT_STORE: 's3', JOBLINE_S3_BUCKET: 'b-1', JOBLINE_S3_ENDPOINT: 'http://127.0.0.1:9000' });
    assert.deepEqual(config.artifacts, {
      store: 's3',
      bucket: 'b-1',
      prefix: '',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: false,
      credentials: undefined,
    });
  });
});
