import assert from 'node:assert/strict';
import request from 'supertest';
import type { JobView } from '../src/api/job-view';
import { startStack, type Stack } from './support/stack';

describe('listing jobs', function () {
  let stack: Stack;
  const ids: string[] = [];
  before(async () => {
    stack = await startStack();
    for (let i = 0; i < 3; i += 1)
      ids.push((await stack.submit({ type: 'echo', input: { value: i }, metadata: { batch: 'listing' } })).body.id);
    await Promise.all(ids.map((id) => stack.waitFor(id, (j) => j.status === 'completed')));
  });
  after(() => stack.stop());

  async function listAll(query: string): Promise<JobView[]> {
    const seen: JobView[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 200; page += 1) {
      const res = await request(stack.baseUrl)
        .get(`/v1/jobs?${query}${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      seen.push(...(res.body.jobs as JobView[]));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    return seen;
  }

  it('filters by type and status from Temporal visibility', async () => {
    let listed: JobView[] = [];
    for (let i = 0; i < 50 && !ids.every((id) => listed.some((j) => j.id === id)); i += 1) {
      listed = await listAll('type=echo&status=completed&limit=100');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const id of ids)
      assert.ok(
        listed.some((j) => j.id === id),
        `${id} listed`,
      );
    assert.ok(listed.every((j) => j.type === 'echo' && j.status === 'completed'));
    const none = await listAll('type=echo&status=dead_lettered&limit=100');
    assert.ok(!none.some((j) => ids.includes(j.id)));
  });

  it('pages with a cursor without repeating a job', async () => {
    const paged = await listAll('type=echo&limit=1');
    const seen = paged.map((j) => j.id);
    assert.equal(new Set(seen).size, seen.length);
    for (const id of ids) assert.ok(seen.includes(id));
  });

  it('tells running jobs apart from queued ones', async () => {
    const { body } = await stack.submit({ type: 'echo', input: { sleepMs: 3_000 } });
    await stack.waitFor(body.id, (j) => j.status === 'running');
    let running: JobView[] = [];
    for (let i = 0; i < 30 && !running.some((j) => j.id === body.id); i += 1) {
      running = await listAll('type=echo&status=running&limit=100');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(running.some((j) => j.id === body.id));
    assert.ok(running.every((j) => j.status === 'running'));
  });

  it('rejects a bad filter with 400 naming it', async () => {
    const res = await request(stack.baseUrl).get('/v1/jobs?status=sleeping').expect(400);
    assert.equal(res.body.errors[0].field, 'status');
    await request(stack.baseUrl).get('/v1/jobs?limit=1000').expect(400);
    await request(stack.baseUrl).get("/v1/jobs?type=x'%20OR%201=1").expect(400);
  });
});
