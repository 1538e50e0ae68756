import assert from 'node:assert/strict';
import request from 'supertest';
import type { JobView } from '../src/api/job-view';
import { useStack } from './support/use-stack';

interface NodeInput {
  id: string;
  type?: string;
  input?: unknown;
  dependsOn?: string[];
  [override: string]: unknown;
}

const echoNode = (id: string, dependsOn: string[] = [], sleepMs = 0): NodeInput => ({
  id,
  type: 'echo',
  input: { value: id, sleepMs },
  dependsOn,
});
/** Fails for good: its overall timeout passes while it sleeps. */
const failingNode = (id: string, dependsOn: string[] = []): NodeInput => ({
  id,
  type: 'echo',
  input: { sleepMs: 5_000 },
  dependsOn,
  attemptTimeoutMs: 200,
  timeoutMs: 600,
  retry: { initialIntervalMs: 100 },
});

describe('pipelines (DAGs of jobs as child workflows)', function () {
  this.timeout(120_000);
  const suite = useStack();

  const submit = async (nodes: NodeInput[], failurePolicy?: string) => {
    const res = await suite.stack.submit({ type: 'pipeline', input: { nodes, ...(failurePolicy ? { failurePolicy } : {}) } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  };
  const nodeStatuses = (job: JobView) => Object.fromEntries((job.nodes ?? []).map((node) => [node.id, node.status]));

  it('runs a diamond in dependency order, in parallel where it can, passing results along', async () => {
    const id = await submit([echoNode('d', ['b', 'c']), echoNode('b', ['a'], 600), echoNode('c', ['a'], 600), echoNode('a')]);
    const done = await suite.stack.waitFor(id, (j) => j.status === 'completed');
    assert.deepEqual(nodeStatuses(done), { a: 'completed', b: 'completed', c: 'completed', d: 'completed' });
    const nodes = Object.fromEntries(
      await Promise.all(['a', 'b', 'c', 'd'].map(async (node) => [node, await suite.stack.getJob(`${id}/${node}`)] as const)),
    );
    const at = (node: string, field: 'startedAt' | 'completedAt') => Date.parse(nodes[node]![field]!);
    assert.ok(at('b', 'startedAt') >= at('a', 'completedAt') && at('c', 'startedAt') >= at('a', 'completedAt'));
    assert.ok(at('d', 'startedAt') >= Math.max(at('b', 'completedAt'), at('c', 'completedAt')));
    assert.ok(at('b', 'startedAt') < at('c', 'completedAt') && at('c', 'startedAt') < at('b', 'completedAt'), 'b and c overlap');
    assert.deepEqual(nodes.d!.result, { value: 'd', received: { b: 'b', c: 'c' } });
    assert.deepEqual(nodes.b!.result, { value: 'b', received: { a: 'a' } });
    assert.deepEqual(nodes.a!.result, { value: 'a' });
    const result = done.result as { nodes: Record<string, { status: string; jobId: string }> };
    assert.equal(result.nodes.d!.jobId, `${id}/d`);
  });

  it('rejects a cycle with its path, and other bad graphs naming the fields, starting nothing', async () => {
    const cyclic = await suite.stack.submit({
      type: 'pipeline',
      input: { nodes: [echoNode('a', ['c']), echoNode('b', ['a']), echoNode('c', ['b']), echoNode('x')] },
    });
    assert.equal(cyclic.status, 400);
    const cycleError = (cyclic.body as unknown as { errors: Array<{ field: string; message: string }> }).errors.find(
      (e) => e.field === 'input.nodes',
    );
    assert.match(cycleError?.message ?? '', /dependency cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/);

    const cases: Array<[NodeInput[], string]> = [
      [[echoNode('a'), echoNode('a')], 'input.nodes.1.id'],
      [[echoNode('a', ['ghost'])], 'input.nodes.0.dependsOn.0'],
      [[{ id: 'a', type: 'fax', input: {} }], 'input.nodes.0.type'],
      [[{ id: 'a', type: 'pipeline', input: { nodes: [] } }], 'input.nodes.0.type'],
      [[{ id: 'a', type: 'batch', input: { handler: 'noop' } }], 'input.nodes.0.input.items'],
      [[{ id: 'a', type: 'http', input: { url: 'nope' } }], 'input.nodes.0.input.url'],
      [[{ id: 'bad id!', type: 'echo', input: {} }], 'input.nodes.0.id'],
      [Array.from({ length: 1_001 }, (_, i) => echoNode(`n${i}`)), 'input.nodes'],
    ];
    for (const [nodes, field] of cases) {
      const res = await suite.stack.submit({ type: 'pipeline', input: { nodes } });
      assert.equal(res.status, 400, field);
      const errors = (res.body as unknown as { errors: Array<{ field: string }> }).errors;
      assert.ok(
        errors.some((e) => e.field === field),
        `${field}: ${JSON.stringify(errors)}`,
      );
    }
  });

  it('fail-fast: a failed node cancels the running ones and skips the rest', async () => {
    const id = await submit(
      [failingNode('broken'), echoNode('slow', [], 30_000), echoNode('after', ['broken']), echoNode('later', ['slow'])],
      'fail-fast',
    );
    const failed = await suite.stack.waitFor(id, (j) => j.status === 'failed', 30_000);
    assert.deepEqual(nodeStatuses(failed), { broken: 'failed', slow: 'cancelled', after: 'skipped', later: 'skipped' });
    assert.match(failed.lastError?.message ?? '', /broken/);
    assert.equal((await suite.stack.getJob(`${id}/slow`)).status, 'cancelled');
  });

  it('continue: only the failed node’s dependents are skipped', async () => {
    const id = await submit(
      [failingNode('broken'), echoNode('other', [], 300), echoNode('after', ['broken']), echoNode('next', ['other'])],
      'continue',
    );
    const failed = await suite.stack.waitFor(id, (j) => j.status === 'failed', 30_000);
    assert.deepEqual(nodeStatuses(failed), { broken: 'failed', other: 'completed', after: 'skipped', next: 'completed' });
  });

  it('a dead-lettered node holds its dependents until it is retried, then the pipeline finishes', async () => {
    const target = await suite.target([{ status: 400 }, 200]);
    const id = await submit([{ id: 'call', type: 'http', input: { url: target.url } }, echoNode('then', ['call'])]);
    const parked = await suite.stack.waitFor(id, (j) => j.nodes?.find((n) => n.id === 'call')?.status === 'dead_lettered');
    assert.equal(parked.status, 'running');
    assert.equal(nodeStatuses(parked).then, 'waiting');
    await request(suite.stack.baseUrl)
      .post(`/v1/dead-letters/${encodeURIComponent(`${id}/call`)}/retry`)
      .expect(202);
    const done = await suite.stack.waitFor(id, (j) => j.status === 'completed');
    assert.deepEqual(nodeStatuses(done), { call: 'completed', then: 'completed' });
  });

  it('a discarded dead-lettered node fails, and its dependents are skipped', async () => {
    const target = await suite.target([{ status: 400 }]);
    const id = await submit(
      [{ id: 'call', type: 'http', input: { url: target.url } }, echoNode('then', ['call']), echoNode('free')],
      'continue',
    );
    await suite.stack.waitFor(id, (j) => j.nodes?.find((n) => n.id === 'call')?.status === 'dead_lettered');
    await request(suite.stack.baseUrl)
      .post(`/v1/dead-letters/${encodeURIComponent(`${id}/call`)}/discard`)
      .expect(202);
    const failed = await suite.stack.waitFor(id, (j) => j.status === 'failed');
    assert.deepEqual(nodeStatuses(failed), { call: 'failed', then: 'skipped', free: 'completed' });
  });

  it('runs a batch as a node; a dead-lettered batch holds its dependents until it is retried', async () => {
    const target = await suite.target([{ status: 400 }, 200]);
    const batch = {
      handler: 'http-deliver',
      handlerInput: { url: target.url },
      items: [{ n: 1 }, { n: 2 }],
      chunkSize: 1,
      concurrency: 1,
      maxFailedItems: 0,
    };
    const id = await submit([
      echoNode('first'),
      { id: 'deliver', type: 'batch', input: batch, dependsOn: ['first'] },
      echoNode('then', ['deliver']),
    ]);
    const parked = await suite.stack.waitFor(id, (j) => j.nodes?.find((n) => n.id === 'deliver')?.status === 'dead_lettered');
    assert.equal(nodeStatuses(parked).then, 'waiting');
    assert.equal((await suite.stack.getJob(`${id}/deliver`)).status, 'dead_lettered');
    await request(suite.stack.baseUrl)
      .post(`/v1/dead-letters/${encodeURIComponent(`${id}/deliver`)}/retry`)
      .expect(202);
    const done = await suite.stack.waitFor(id, (j) => j.status === 'completed');
    assert.deepEqual(nodeStatuses(done), { first: 'completed', deliver: 'completed', then: 'completed' });
    const node = await suite.stack.getJob(`${id}/deliver`);
    assert.deepEqual(
      { type: node.type, done: node.progress?.done, failed: node.progress?.failed, round: node.batch?.round },
      { type: 'batch', done: 2, failed: 0, round: 2 },
    );
    assert.equal(target.calls.length, 3, 'the refused item twice, the other once');
  });

  it('cancelling the pipeline cancels its running nodes', async () => {
    const id = await submit([echoNode('long-1', [], 60_000), echoNode('long-2', [], 60_000), echoNode('after', ['long-1'])]);
    await suite.stack.waitFor(`${id}/long-1`, (j) => j.status === 'running');
    await suite.stack.waitFor(`${id}/long-2`, (j) => j.status === 'running');
    await request(suite.stack.baseUrl).post(`/v1/jobs/${id}/cancel`).expect(202);
    await suite.stack.waitFor(id, (j) => j.status === 'cancelled', 15_000);
    assert.equal((await suite.stack.getJob(`${id}/long-1`)).status, 'cancelled');
    assert.equal((await suite.stack.getJob(`${id}/long-2`)).status, 'cancelled');
  });

  it('completes a 500-node DAG', async () => {
    // 10 layers of 50; every node depends on two nodes of the layer before.
    const width = 50;
    const nodes: NodeInput[] = [];
    for (let layer = 0; layer < 10; layer += 1) {
      for (let i = 0; i < width; i += 1) {
        const deps = layer === 0 ? [] : [`n${layer - 1}-${i}`, `n${layer - 1}-${(i + 1) % width}`];
        nodes.push({ id: `n${layer}-${i}`, type: 'echo', input: {}, dependsOn: deps });
      }
    }
    const started = Date.now();
    const id = await submit(nodes);
    const done = await suite.stack.waitFor(id, (j) => j.status === 'completed', 110_000);
    assert.equal(done.nodes?.length, 500);
    assert.ok(done.nodes?.every((node) => node.status === 'completed'));
    if (process.env.JOBLINE_TEST_REPORT) process.stdout.write(`500-node DAG: ${Date.now() - started} ms\n`);
  });
});
