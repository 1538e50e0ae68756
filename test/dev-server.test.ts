import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DevServerStartError, startDevServer, type DevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/free-port';
import { ensureSearchAttributes, setRetention } from '../src/temporal/namespace-setup';
import { CUSTOM_SEARCH_ATTRIBUTES, JobStatusKey } from '../src/jobs/search-attributes';
import { describeOnDevServer, testEnv } from './support/temporal-env';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeOnDevServer(
  'dev-server launcher',
  'it tests the embedded dev server and its SQLite file, which the dev-server pass covers',
  function () {
    this.timeout(60_000);
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-launcher-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('starts a server that answers, with Jobline search attributes, then stops it and frees the port', async () => {
      const port = await freePort();
      const server = await startDevServer({ binary: testEnv().cliPath, port, dbFile: path.join(dir, 'a.db') });
      const connection = await Connection.connect({ address: server.address });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const name of Object.keys(CUSTOM_SEARCH_ATTRIBUTES)) assert.ok(customAttributes?.[name] !== undefined, `${name} missing`);
      } finally {
        await connection.close();
      }
      assert.ok(fs.existsSync(path.join(dir, 'a.db')), 'the database file is where we asked');
      assert.ok(fs.existsSync(path.join(dir, 'a.db-wal')), 'the database runs in WAL mode');
      await server.stop();
      assert.equal(processAlive(server.pid), false);
      assert.equal(await portAnswers(port), false);
    });

    it('refuses a port that another server holds, naming it', async () => {
      const taken = Number(testEnv().server.address.split(':')[1]);
      await assert.rejects(
        startDevServer({ binary: testEnv().cliPath, port: taken }),
        new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use`),
      );
    });

    it('surfaces the server output when it cannot start', async () => {
      // TEST-NET-3: not an address of this machine, so the server cannot bind it and exits.
      await assert.rejects(
        startDevServer({ binary: testEnv().cliPath, ip: '203.0.113.7', port: await freePort(), startTimeoutMs: 20_000 }),
        (err: unknown) => {
          assert.ok(err instanceof DevServerStartError);
          assert.match(err.message, /exited with code/);
          assert.match(err.output, /203\.0\.113\.7/);
          assert.ok(err.message.includes(err.output), 'the message carries what the server printed');
          return true;
        },
      );
    });

    it('says how to install the CLI when the binary is missing', async () => {
      await assert.rejects(
        startDevServer({ binary: path.join(dir, 'nope', 'temporal'), port: await freePort() }),
        /run `npm install`.*TEMPORAL_CLI_PATH/,
      );
    });

    describe('namespace setup on an existing database', () => {
      let server: DevServer;
      let connection: Connection;
      before(async () => {
        server = await startDevServer({ binary: testEnv().cliPath, port: await freePort(), dbFile: path.join(dir, 'b.db') });
        connection = await Connection.connect({ address: server.address });
      });
      after(async () => {
        await connection.close();
        await server.stop();
      });

      it('registers search attributes the namespace lacks (flags only apply when it is created)', async () => {
        await connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: ['JobStatus'] });
        assert.deepEqual(await ensureSearchAttributes(connection, 'default'), ['JobStatus']);
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        assert.ok(customAttributes?.JobStatus !== undefined);
        assert.deepEqual(await ensureSearchAttributes(connection, 'default'), []);
      });

      it('accepts a job that uses a re-registered search attribute at once, with the search-attribute cache on', async () => {
        await connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: ['JobStatus'] });
        assert.deepEqual(await ensureSearchAttributes(connection, 'default'), ['JobStatus']);
        const client = new Client({ connection });
        const workflowId = `reregistered-${Date.now()}`;
        // No worker: the start alone is validated against the attribute, then visibility indexes it.
        const handle = await client.workflow.start('noSuchWorkflow', {
          taskQueue: 'nobody-polls',
          workflowId,
          typedSearchAttributes: [{ key: JobStatusKey, value: 'active' }],
        });
        try {
          const query = `JobStatus = 'active' AND WorkflowId = '${workflowId}'`;
          const deadline = Date.now() + 10_000;
          let count = 0;
          while (count === 0 && Date.now() < deadline) {
            count = (await client.workflow.count(query)).count;
            if (count === 0) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.equal(count, 1, 'visibility finds the job by the re-registered attribute');
        } finally {
          await handle.terminate();
        }
      });

      it('sets the namespace retention', async () => {
        await setRetention(connection, 'default', 7);
        const { config } = await connection.workflowService.describeNamespace({ namespace: 'default' });
        assert.equal(Number(config?.workflowExecutionRetentionTtl?.seconds), 7 * 24 * 3600);
      });
    });
  },
);
