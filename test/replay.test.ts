import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import request from 'supertest';
import { LIFECYCLE_REVISION } from '../src/jobs/status';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';
import { testEnv } from './support/temporal-env';

const FIXTURES = path.join(__dirname, 'fixtures', 'histories');

async function replay(histories: Array<{ workflowId: string; history: unknown }>): Promise<void> {
  const options = { workflowBundle: testEnv().workflowBundle };
  for await (const result of Worker.runReplayHistories(
    options,
    histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJSON(h.history) })),
  )) {
    assert.equal(result.error, undefined, `${result.workflowId} does not replay: ${String(result.error)}`);
  }
}

/**
 * Determinism: the job workflow must replay the histories it wrote. The fixtures were recorded by earlier
 * versions and guard every change to the workflow; the fresh ones cover every path of the current code.
 * `JOBLINE_RECORD_HISTORIES=1` stores the fresh ones as fixtures.
 */
describe('replaying job workflow histories', function () {
  this.timeout(90_000);

  it('replays the recorded fixture histories', async function () {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    if (files.length === 0) this.skip();
    await replay(
      files.map((file) => {
        // `{ workflowId, history }`; the first fixtures hold the history alone (their workflow ids do not matter).
        const stored = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as { workflowId?: string; history?: unknown };
        return stored.history ? { workflowId: stored.workflowId ?? file, history: stored.history } : { workflowId: file, history: stored };
      }),
    );
  });

  describe('fresh histories of every path', () => {
    let stack: Stack;
    let flaky: Target;
    let broken: Target;
    let rejecting: Target;
    let pipelineTarget: Target;
    let batchTarget: Target;
    let receiver: Target;
    let goneReceiver: Target;
    let notifyTarget: Target;
    before(async () => {
      // A signing secret, so that jobs may carry `notify`; jobs without it are as before.
      stack = await startStack({ env: { JOBLINE_WEBHOOK_SECRETS: `whsec_${Buffer.alloc(32, 7).toString('base64')}` } });
      receiver = await startTarget([200]);
      goneReceiver = await startTarget([410, 200]);
      notifyTarget = await startTarget([400, 200]);
      flaky = await startTarget([503, 200]);
      broken = await startTarget([{ status: 400 }, 200]);
      rejecting = await startTarget([{ status: 400 }]);
      pipelineTarget = await startTarget([{ status: 400 }, 200]);
      // The first item is refused, the rest (and its retry) taken.
      batchTarget = await startTarget([{ status: 400 }, 200]);
    });
    after(async () => {
      await stack.stop();
      await flaky.close();
      await broken.close();
      await rejecting.close();
      await pipelineTarget.close();
      await batchTarget.close();
      await receiver.close();
      await goneReceiver.close();
      await notifyTarget.close();
    });

    it('replays completed, retried, dead-lettered then retried or discarded, cancelled, delayed, timed-out, dependent jobs, pipelines and batches', async () => {
      const fast = { initialIntervalMs: 100 };
      const api = request(stack.baseUrl);
      const ids: Record<string, string> = {};
      const submit = async (name: string, body: object) => {
        ids[name] = (await stack.submit(body)).body.id;
      };
      await submit('completed', { type: 'echo', input: { value: 1 } });
      await submit('retried', { type: 'http', input: { url: flaky.url }, retry: fast });
      await submit('delayed', { type: 'echo', input: {}, delayMs: 500 });
      await submit('timed-out', { type: 'echo', input: { sleepMs: 3_000 }, attemptTimeoutMs: 200, timeoutMs: 700, retry: fast });
      // Waits for the delayed job, then runs; and one whose dependency times out.
      await submit('depends-on', { type: 'echo', input: { value: 2 }, dependsOn: [ids.delayed!, ids.completed!] });
      await submit('depends-on-failed', { type: 'echo', input: {}, dependsOn: [ids['timed-out']!] });
      await submit('dead-letter-retried', { type: 'http', input: { url: broken.url }, retry: fast });
      await stack.waitFor(ids['dead-letter-retried']!, (j) => j.status === 'dead_lettered');
      await api.post(`/v1/dead-letters/${ids['dead-letter-retried']}/retry`).expect(202);
      await submit('dead-letter-discarded', { type: 'http', input: { url: rejecting.url }, retry: fast });
      await stack.waitFor(ids['dead-letter-discarded']!, (j) => j.status === 'dead_lettered');
      await api.post(`/v1/dead-letters/${ids['dead-letter-discarded']}/discard`).expect(202);
      await submit('pipeline', {
        type: 'pipeline',
        input: {
          nodes: [
            { id: 'a', type: 'echo', input: {} },
            { id: 'b', type: 'echo', input: {}, dependsOn: ['a'] },
            { id: 'c', type: 'http', input: { url: pipelineTarget.url }, dependsOn: ['a'], retry: fast },
          ],
        },
      });
      // The node parks itself and tells its pipeline (a signal to an external workflow), then is retried.
      ids['pipeline-node-dead-lettered'] = `${ids.pipeline}/c`;
      await stack.waitFor(ids['pipeline-node-dead-lettered']!, (j) => j.status === 'dead_lettered');
      await api.post(`/v1/dead-letters/${encodeURIComponent(ids['pipeline-node-dead-lettered']!)}/retry`).expect(202);
      await submit('batch', { type: 'batch', input: { handler: 'noop', items: [1, 2, 3, 4, 5], chunkSize: 2, concurrency: 2 } });
      // Past maxFailedItems, parked, retried from the dead letters: the refused item runs again, then the rest.
      await submit('batch-dead-letter-retried', {
        type: 'batch',
        input: {
          handler: 'http-deliver',
          handlerInput: { url: batchTarget.url },
          items: [1, 2, 3],
          chunkSize: 1,
          concurrency: 1,
          maxFailedItems: 0,
        },
      });
      await stack.waitFor(ids['batch-dead-letter-retried']!, (j) => j.status === 'dead_lettered');
      await api.post(`/v1/dead-letters/${ids['batch-dead-letter-retried']}/retry`).expect(202);
      await submit('batch-cancelled', {
        type: 'batch',
        input: { handler: 'noop', items: [1, 2, 3, 4], chunkSize: 1, concurrency: 1, maxItemsPerSecond: 1 },
      });
      await stack.waitFor(ids['batch-cancelled']!, (j) => j.status === 'running');
      await api.post(`/v1/jobs/${ids['batch-cancelled']}/cancel`).expect(202);
      await submit('cancelled', { type: 'echo', input: { sleepMs: 30_000 } });
      await stack.waitFor(ids.cancelled!, (j) => j.status === 'running');
      await api.post(`/v1/jobs/${ids.cancelled}/cancel`).expect(202);

      // Webhooks: a job, a dead-lettered and retried job with every event it passes, a pipeline node, and the
      // delivery workflows (one delivered, one failed on 410 and redelivered).
      const notify = { url: receiver.url };
      await submit('notify-completed', { type: 'echo', input: {}, notify: { url: goneReceiver.url } });
      await submit('notify-dead-letter-retried', {
        type: 'http',
        input: { url: notifyTarget.url },
        maxAttempts: 1,
        notify: { ...notify, events: ['running', 'dead_lettered', 'retried', 'completed'] },
      });
      await stack.waitFor(ids['notify-dead-letter-retried']!, (j) => j.status === 'dead_lettered');
      await api.post(`/v1/dead-letters/${ids['notify-dead-letter-retried']}/retry`).expect(202);
      await submit('notify-pipeline', { type: 'pipeline', input: { nodes: [{ id: 'a', type: 'echo', input: {}, notify }] } });
      await submit('notify-cancelled', { type: 'echo', input: { sleepMs: 30_000 }, notify });
      await stack.waitFor(ids['notify-cancelled']!, (j) => j.status === 'running');
      await api.post(`/v1/jobs/${ids['notify-cancelled']}/cancel`).expect(202);
      const deliveryDone = async (id: string) => {
        for (;;) {
          const status = await testEnv()
            .client.workflow.getHandle(id)
            .describe()
            .then(
              (d) => d.status.name,
              () => 'NOT_FOUND',
            );
          if (status === 'COMPLETED') return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const failedWebhook = `${ids['notify-completed']}/webhook/completed`;
      for (;;) {
        const state = await testEnv()
          .client.workflow.getHandle(failedWebhook)
          .query<{ state: string }>('getDelivery')
          .catch(() => undefined);
        if (state?.state === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await api.post(`/v1/webhook-failures/${encodeURIComponent(failedWebhook)}/redeliver`).expect(202);
      await deliveryDone(failedWebhook);
      ids['webhook-redelivered'] = failedWebhook;
      ids['webhook-delivered'] = `${ids['notify-dead-letter-retried']}/webhook/completed`;
      await stack.waitFor(ids['notify-dead-letter-retried']!, (j) => j.status === 'completed');
      await deliveryDone(ids['webhook-delivered']);

      const final: Record<string, string> = {
        completed: 'completed',
        retried: 'completed',
        delayed: 'completed',
        'timed-out': 'timed_out',
        'depends-on': 'completed',
        'depends-on-failed': 'failed',
        'dead-letter-retried': 'completed',
        'dead-letter-discarded': 'failed',
        cancelled: 'cancelled',
        pipeline: 'completed',
        'pipeline-node-dead-lettered': 'completed',
        batch: 'completed',
        'batch-dead-letter-retried': 'completed',
        'batch-cancelled': 'cancelled',
        'notify-completed': 'completed',
        'notify-dead-letter-retried': 'completed',
        'notify-pipeline': 'completed',
        'notify-cancelled': 'cancelled',
      };
      await Promise.all(Object.entries(final).map(([name, status]) => stack.waitFor(ids[name]!, (j) => j.status === status, 20_000)));

      const histories = await Promise.all(
        Object.entries(ids).map(async ([name, id]) => {
          const history = await testEnv().client.workflow.getHandle(id).fetchHistory();
          return { name, workflowId: id, history: JSON.parse(historyToJSON(history)) as unknown };
        }),
      );
      await replay(histories);
      if (process.env.JOBLINE_RECORD_HISTORIES === '1') {
        // New fixtures only: the ones already there were written by older code and must stay as they were.
        // Named by the lifecycle revision that wrote them (`completed-r2.json`); unsuffixed ones are revision 1.
        // `-classes`: specs with a resource class, whose activities name their class's task queue (issue 16).
        for (const { name, workflowId, history } of histories) {
          const suffix = `${LIFECYCLE_REVISION > 1 ? `-r${LIFECYCLE_REVISION}` : ''}-classes`;
          const file = path.join(FIXTURES, `${name}${suffix}.json`);
          if (!fs.existsSync(file)) fs.writeFileSync(file, `${JSON.stringify({ workflowId, history })}\n`);
        }
      }
    });
  });
});
