import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createJoblineClient } from '../src/temporal/client';
import { freePort } from '../src/temporal/free-port';
import { startOwnServer, type OwnServer } from './support/own-server';
import { startStack, type Stack } from './support/stack';
import { describeOnDevServer } from './support/temporal-env';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const describeWithChromium = fs.existsSync(CHROMIUM)
  ? describeOnDevServer
  : (title: string) => describe.skip(`${title} [skipped: no Chromium at ${CHROMIUM}; .ci/run installs it]`, () => undefined);

describeWithChromium(
  'the Web UI shows encrypted payloads decoded through the codec server',
  'it starts dev servers of its own with a Web UI',
  function () {
    this.timeout(180_000);
    let dir: string;
    let server: OwnServer | undefined;
    let stack: Stack | undefined;
    let browser: BrowserContext | undefined;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-codec-ui-'));
      browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
    });
    after(async () => {
      await browser?.close();
      await stack?.stop();
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The text of the job's history page in the Web UI, once `expect` is on it. */
    async function pageText(uiUrl: string, jobId: string, runId: string, expect: string): Promise<string> {
      const page = await browser!.newPage();
      try {
        await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(jobId)}/${runId}/history`);
        await page.getByText(expect, { exact: false }).first().waitFor({ timeout: 60_000 });
        return await page.locator('body').innerText();
      } finally {
        await page.close();
      }
    }

    it('shows the decoded secret input with --ui-codec-endpoint, and not without it', async () => {
      const dbFile = path.join(dir, 'temporal.db');
      const apiPort = await freePort();
      const uiPort = await freePort();
      const uiUrl = `http://127.0.0.1:${uiPort}`;
      server = await startOwnServer({ dbFile, uiPort, uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec` });
      const keys = `k1:${randomBytes(32).toString('base64')}`;
      stack = await startStack({ server, apiPort, env: { JOBLINE_ENCRYPTION_KEYS: keys, TEMPORAL_UI_URL: uiUrl } });
      const secret = `ui-secret-${randomUUID()}`;
      const submitted = await stack.submit({ type: 'echo', input: { value: secret } });
      await stack.waitFor(submitted.body.id, (job) => job.status === 'completed');
      const { runId } = await createJoblineClient(server.clientConnection, stack.config).workflow.getHandle(submitted.body.id).describe();

      const decoded = await pageText(uiUrl, submitted.body.id, runId, secret);
      assert.match(decoded, /"type": "echo"/, 'the whole job spec is shown, decoded');

      // Control: the same history, the same UI without a codec endpoint, shows the input still encrypted.
      await stack.stop();
      stack = undefined;
      await server.stop();
      server = await startOwnServer({ dbFile, uiPort });
      // The UI shows a payload it cannot decode as its proto JSON: the encoding, base64.
      const sealed = await pageText(uiUrl, submitted.body.id, runId, Buffer.from('binary/encrypted').toString('base64'));
      assert.ok(!sealed.includes(secret), 'without the codec endpoint the secret is not on the page');
    });
  },
);
