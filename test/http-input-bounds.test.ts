import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from './support/stack';

interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The literal private targets a submission must refuse, one per class (and per spelling WHATWG URL normalises). */
const PRIVATE_LITERALS = [
  'http://127.0.0.1:9/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://192.168.0.1/',
  'http://169.254.169.254/latest/meta-data/',
  'http://100.64.0.1/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://0.0.0.0/',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://0177.0.0.1/',
  'http://[::1]/',
  'http://[::]/',
  'http://[::127.0.0.1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[fe80::1]/',
  'http://[fc00::1]/',
  'http://[2002:7f00:1::]/',
  'http://localhost/',
  'http://api.localhost./',
];

describe('http input: refused at submission (API only, private targets not allowed)', function () {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false, env: { JOBLINE_ALLOW_PRIVATE_TARGETS: '0' } });
  });
  after(() => stack.stop());

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text,
      body: JSON.parse(text) as ProblemBody,
    };
  };

  /** A 400 problem naming exactly `fields`; returns it. */
  const expect400 = async (path: string, body: unknown, fields: string[]) => {
    const reply = await post(path, body);
    assert.equal(reply.status, 400, reply.text);
    assert.match(reply.contentType, /^application\/problem\+json/);
    assert.deepEqual(
      reply.body.errors?.map((e) => e.field),
      fields,
      reply.text,
    );
    return reply;
  };

  for (const url of PRIVATE_LITERALS) {
    it(`refuses ${url} with 400 naming input.url`, async () => {
      const reply = await expect400('/v1/jobs', { type: 'http', input: { url } }, ['input.url']);
      assert.match(reply.body.errors![0]!.message, /not a public target/);
    });
  }

  it('accepts a public literal (the check is by class, not a refusal of every literal)', async () => {
    const runAt = new Date(Date.now() + 24 * 60 * 60_000).toISOString();
    const reply = await post('/v1/jobs', { type: 'http', input: { url: 'http://8.8.8.8/hook' }, runAt });
    assert.equal(reply.status, 202, reply.text);
    const id = (JSON.parse(reply.text) as { id: string }).id;
    await fetch(`${stack.baseUrl}/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  });

  it('refuses a private http-deliver target of a batch, naming input.handlerInput.url', async () => {
    await expect400(
      '/v1/jobs',
      { type: 'batch', input: { handler: 'http-deliver', handlerInput: { url: 'http://[::ffff:10.0.0.1]/' }, items: [{ n: 1 }] } },
      ['input.handlerInput.url'],
    );
  });

  it('refuses a private target in a pipeline node, also inside a batch node', async () => {
    await expect400(
      '/v1/jobs',
      {
        type: 'pipeline',
        input: {
          nodes: [
            { id: 'ok', type: 'echo', input: {} },
            { id: 'call', type: 'http', input: { url: 'http://127.0.0.1/' } },
            { id: 'fan', type: 'batch', input: { handler: 'http-deliver', handlerInput: { url: 'http://localhost/' }, items: [1] } },
          ],
        },
      },
      ['input.nodes.1.input.url', 'input.nodes.2.input.handlerInput.url'],
    );
  });

  it('refuses a private target in a schedule’s job, naming job.input.url, and creates nothing', async () => {
    const id = `private-${randomUUID().slice(0, 8)}`;
    await expect400('/v1/schedules', { id, intervalMs: 3_600_000, job: { type: 'http', input: { url: 'http://169.254.169.254/' } } }, [
      'job.input.url',
    ]);
    const lookup = await fetch(`${stack.baseUrl}/v1/schedules/${id}`);
    assert.equal(lookup.status, 404);
  });

  it('refuses a URL with credentials, says where they go, and never echoes the password', async () => {
    for (const [body, field] of [
      [{ type: 'http', input: { url: 'https://user:s3cret@example.com/hook' } }, 'input.url'],
      [
        { type: 'batch', input: { handler: 'http-deliver', handlerInput: { url: 'https://user:s3cret@example.com/' }, items: [1] } },
        'input.handlerInput.url',
      ],
    ] as const) {
      const reply = await expect400('/v1/jobs', body, [field]);
      assert.match(reply.body.errors![0]!.message, /Authorization header/);
      assert.doesNotMatch(reply.text, /s3cret/);
    }
  });

  it('bounds the URL (8,192 characters) and its host (253)', async () => {
    const longHost = `https://${'a'.repeat(70_000)}.example/`;
    const reply = await expect400('/v1/jobs', { type: 'http', input: { url: longHost } }, ['input.url']);
    assert.match(reply.body.detail, /at most 8192 characters/);
    const hostOver = await expect400(
      '/v1/jobs',
      {
        type: 'http',
        input: { url: `https://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(20)}/` },
      },
      ['input.url'],
    );
    assert.match(hostOver.body.detail, /host must be at most 253/);
  });

  it('refuses CR, LF, NUL and other controls in header values, naming the header', async () => {
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\u0000', 'a\u007f', 'a\u0100']) {
      await expect400('/v1/jobs', { type: 'http', input: { url: 'https://example.com/', headers: { 'X-Evil': value } } }, [
        'input.headers.X-Evil',
      ]);
    }
  });

  it('refuses header names that are not tokens, and headers the HTTP client owns', async () => {
    await expect400(
      '/v1/jobs',
      { type: 'http', input: { url: 'https://example.com/', headers: { 'X Bad': 'v', 'X:Colon': 'v', '': 'v' } } },
      ['input.headers.X Bad', 'input.headers.X:Colon', 'input.headers.'],
    );
    const headers = { Host: 'internal', 'Content-Length': '1', 'Transfer-Encoding': 'chunked', Connection: 'close' };
    const reply = await expect400(
      '/v1/jobs',
      { type: 'http', input: { url: 'https://example.com/', headers } },
      Object.keys(headers).map((name) => `input.headers.${name}`),
    );
    assert.match(reply.body.errors![0]!.message, /may not be set by a job/);
    // The batch handler shares the rules.
    await expect400(
      '/v1/jobs',
      {
        type: 'batch',
        input: { handler: 'http-deliver', handlerInput: { url: 'https://example.com/', headers: { 'X-A': 'a\r\nb' } }, items: [1] },
      },
      ['input.handlerInput.headers.X-A'],
    );
  });
});
