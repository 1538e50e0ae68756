import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CONTROL_BODY_LIMIT_BYTES } from '../src/auth/operations';
import { caller } from './support/api-keys';
import { useStack } from './support/use-stack';

/** A JSON body of about `bytes` bytes. */
const padded = (bytes: number, extra: Record<string, unknown> = {}) => ({ ...extra, reason: 'x'.repeat(bytes) });

describe('hardening: security headers, body limits per route, no internals in answers', function () {
  this.timeout(60_000);
  const suite = useStack({ worker: false });
  const call = () => caller(suite.stack.baseUrl, undefined);

  it('sends helmet’s headers with a CSP that allows the /docs page’s own scripts and styles', async () => {
    const api = await fetch(`${suite.stack.baseUrl}/v1/jobs?limit=1`);
    assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(api.headers.get('x-powered-by'), null);
    const csp = api.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'plain-HTTP /docs would break');
    const docs = await fetch(`${suite.stack.baseUrl}/docs/`);
    assert.equal(docs.status, 200);
    const html = await docs.text();
    // Every script the page loads is a file of our own origin (script-src 'self'), none inline.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 3);
    for (const [, attributes, body] of scripts) {
      const src = /src=["']\.\/([^"']+)["']/.exec(attributes ?? '')?.[1];
      assert.ok(src, `an inline script: ${body?.slice(0, 80)}`);
      assert.equal((await fetch(`${suite.stack.baseUrl}/docs/${src}`)).status, 200, src);
    }
  });

  it('renders /docs in a real Chromium under that CSP, with nothing refused', async function () {
    const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    if (!existsSync(executablePath)) this.skip(); // .ci/run installs Debian's chromium
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
      });
      await page.goto(`${suite.stack.baseUrl}/docs/`);
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
      assert.match((await page.textContent('.swagger-ui .info .title')) ?? '', /Jobline/);
      // The bearer scheme gives the page its Authorize button.
      await page.waitForSelector('.swagger-ui .auth-wrapper .authorize', { timeout: 5_000 });
      assert.deepEqual(refused, []);
    } finally {
      await browser.close();
    }
  });

  it('allows the large body limit only where a job input travels; control bodies get 16 KiB', async () => {
    const over = CONTROL_BODY_LIMIT_BYTES + 1_024;
    for (const path of [
      '/v1/jobs/some-job/cancel',
      '/v1/dead-letters/some-job/discard',
      '/v1/dead-letters/retry',
      '/v1/schedules/s/pause',
    ]) {
      const reply = await call()('POST', path, padded(over));
      assert.equal(reply.status, 413, `${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.type, '/problems/payload-too-large');
    }
    // The same size is an ordinary submission (JOBLINE_BODY_LIMIT_BYTES, 1 MiB by default).
    const submitted = await call()('POST', '/v1/jobs', { type: 'echo', input: { value: 'x'.repeat(over) } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const small = await call()('POST', '/v1/dead-letters/retry', { reason: 'small' });
    assert.equal(small.status, 202, JSON.stringify(small.body));
  });

  it('answers errors without a stack trace, a source path or an internal message', async () => {
    const replies = [
      await call()('GET', '/v1/no-such-route'),
      await fetch(`${suite.stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":' }),
      await call()('POST', '/v1/jobs/x/cancel', padded(CONTROL_BODY_LIMIT_BYTES * 2)),
      await call()('GET', '/v1/jobs/%ZZ'),
      await call()('POST', '/v1/jobs', { type: 'no-such-type', input: {} }),
    ];
    for (const reply of replies) {
      const text = reply instanceof Response ? await reply.text() : JSON.stringify(reply.body);
      assert.ok(reply.status >= 400 && reply.status < 500, `${reply.status} ${text}`);
      assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+|stack/i, text);
    }
  });
});
