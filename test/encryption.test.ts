import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { AesGcmCodec, keyIdOf, PayloadDecryptionError } from '../src/temporal/codec/aes-gcm-codec';
import { dataConverterFor } from '../src/temporal/codec/data-converter';
import { EncryptionKeyring } from '../src/temporal/codec/keyring';
import { startOwnServer, type OwnServer } from './support/own-server';
import { startStack, type Stack, type StackServer } from './support/stack';
import { describeOnDevServer, testEnv } from './support/temporal-env';

const newKey = () => randomBytes(32).toString('base64');

/** Every file SQLite keeps for the database (the WAL holds recent commits until a checkpoint). */
function databaseBytes(dbFile: string): Buffer {
  const dir = path.dirname(dbFile);
  const files = fs.readdirSync(dir).filter((name) => name.startsWith(path.basename(dbFile)));
  assert.ok(files.includes(`${path.basename(dbFile)}-wal`), `the WAL file is there to read too (${files.join(', ')})`);
  return Buffer.concat(files.map((name) => fs.readFileSync(path.join(dir, name))));
}

/** The payload that started the job, as stored (a client without the codec reads it raw). */
async function storedInput(server: OwnServer, jobId: string): Promise<temporal.api.common.v1.IPayload> {
  const raw = new Client({ connection: server.clientConnection, namespace: server.namespace });
  const history = await raw.workflow.getHandle(jobId).fetchHistory();
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(input, 'the started event has an input');
  return input;
}

describeOnDevServer(
  'payloads encrypted at rest (JOBLINE_ENCRYPTION_KEYS)',
  'it starts a dev server of its own on a database file',
  function () {
    this.timeout(120_000);
    let dir: string;
    let dbFile: string;
    let server: OwnServer;
    const stacks: Stack[] = [];
    let restartedConnection: NativeConnection | undefined;
    const stackWith = async (env: Record<string, string>, on: StackServer = server) => {
      const stack = await startStack({ server: on, env: { JOBLINE_SHUTDOWN_GRACE_MS: '500', ...env } });
      stacks.push(stack);
      return stack;
    };
    const k1 = newKey();
    const k2 = newKey();

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-encryption-'));
      dbFile = path.join(dir, 'temporal.db');
      server = await startOwnServer({ dbFile });
    });
    after(async () => {
      for (const stack of stacks) await stack.stop();
      await restartedConnection?.close();
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('keeps a job’s secret input out of the SQLite file, and reads its result back through the API; without keys the same kind of secret is in the file', async () => {
      const secret = `s3cret-${randomUUID()}`;
      const plainSecret = `pla1n-${randomUUID()}`;
      const encrypted = await stackWith({ JOBLINE_ENCRYPTION_KEYS: `k1:${k1}` });
      const plain = await stackWith({});
      const sealed = await encrypted.submit({ type: 'echo', input: { value: { password: secret } } });
      const open = await plain.submit({ type: 'echo', input: { value: { password: plainSecret } } });
      assert.equal(sealed.status, 202);
      assert.equal(open.status, 202);
      const job = await encrypted.waitFor(sealed.body.id, (j) => j.status === 'completed');
      assert.deepEqual(job.result, { value: { password: secret } });
      const result = (await (await fetch(`${encrypted.baseUrl}/v1/jobs/${sealed.body.id}/result`)).json()) as { result: unknown };
      assert.deepEqual(result.result, { value: { password: secret } });
      await plain.waitFor(open.body.id, (j) => j.status === 'completed');

      assert.equal(keyIdOf(await storedInput(server, sealed.body.id)), 'k1');
      const bytes = databaseBytes(dbFile);
      assert.ok(bytes.includes(plainSecret), 'control: a job without keys stores its input in plain text');
      assert.ok(!bytes.includes(secret), 'the encrypted job’s secret is nowhere in the database files');
      assert.ok(bytes.includes(sealed.body.id), 'the encrypted job is in the file (only its payloads are sealed)');
    });

    it('reads a job written with k1 after a rotation to k2,k1, writes new jobs with k2, and replays with the same keys', async () => {
      const secret = `rot-${randomUUID()}`;
      const before = await stackWith({ JOBLINE_ENCRYPTION_KEYS: `k1:${k1}` });
      // Delayed, so that the worker after the rotation is the one that decodes its input and runs it.
      const old = await before.submit({ type: 'echo', input: { value: secret }, delayMs: 1_500 });
      assert.equal(old.status, 202);
      await before.stop();

      // A restarted worker is a new process with a connection of its own: a second worker on the same task queue
      // and the same native connection would not be given new workflow tasks.
      restartedConnection = await NativeConnection.connect({ address: server.address });
      const after = await stackWith(
        { JOBLINE_ENCRYPTION_KEYS: `k2:${k2},k1:${k1}`, JOBLINE_TASK_QUEUE: before.taskQueue },
        { ...server, workerConnection: restartedConnection },
      );
      const done = await after.waitFor(old.body.id, (j) => j.status === 'completed');
      assert.deepEqual(done.result, { value: secret });
      // New jobs (here on a queue of their own) are written with k2.
      const rotated = await stackWith({ JOBLINE_ENCRYPTION_KEYS: `k2:${k2},k1:${k1}` });
      const fresh = await rotated.submit({ type: 'echo', input: { value: secret } });
      assert.deepEqual((await rotated.waitFor(fresh.body.id, (j) => j.status === 'completed')).result, { value: secret });

      const oldInput = await storedInput(server, old.body.id);
      assert.equal(keyIdOf(oldInput), 'k1');
      assert.equal(keyIdOf(await storedInput(server, fresh.body.id)), 'k2');
      // Without k1, the old payload does not open, and the error names the key, not its bytes.
      const k2Only = new AesGcmCodec(EncryptionKeyring.parse(`k2:${k2}`));
      await assert.rejects(
        k2Only.decode([{ metadata: oldInput.metadata!, data: oldInput.data! }]),
        (err: Error) => err instanceof PayloadDecryptionError && /"k1"/.test(err.message) && !err.message.includes(k1),
      );

      // The replayer needs the codec too: with it the history replays, without it the input does not decode.
      const raw = new Client({ connection: server.clientConnection, namespace: server.namespace });
      const history = await raw.workflow.getHandle(old.body.id).fetchHistory();
      const replay = async (keys?: string) => {
        const options = {
          workflowBundle: testEnv().workflowBundle,
          dataConverter: dataConverterFor(keys ? EncryptionKeyring.parse(keys) : undefined),
        };
        return Worker.runReplayHistory(options, history, old.body.id).then(
          () => undefined,
          (err: Error) => err,
        );
      };
      assert.equal(await replay(`k2:${k2},k1:${k1}`), undefined);
      assert.ok(await replay(undefined), 'control: without the codec the replay fails');
    });
  },
);
