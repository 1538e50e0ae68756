import assert from 'node:assert/strict';
import type { RunningServer } from '../src/api/server';
import { KeyRing } from '../src/auth/key-ring';
import { caller, writeKeyFile } from './support/api-keys';
import { startLoggedApi } from './support/logged-api';
import { useStack } from './support/use-stack';

const fast = { initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 500 };

interface AuditLine {
  audit?: boolean;
  keyId: string | null;
  tenant: string | null;
  role: string | null;
  operation: string;
  jobId?: string;
  status: number;
}

describe('audit log and key redaction', function () {
  this.timeout(60_000);
  const { file, keys } = writeKeyFile([
    { id: 'acme-operator', tenant: 'acme', role: 'operator' },
    { id: 'acme-reader', tenant: 'acme', role: 'reader' },
  ]);
  // The stack's worker runs the jobs; a second API on its task queue writes its log lines here.
  const suite = useStack({ env: { JOBLINE_API_KEYS_FILE: file }, apiKey: keys['acme-operator'] });
  let lines: string[] = [];
  let server: RunningServer;
  before(async () => {
    ({ lines, server } = await startLoggedApi(suite.stack, { allowPrivateTargets: true, keys: new KeyRing(file) }));
  });
  after(() => server?.close());

  const auditLines = (): AuditLine[] =>
    lines.map((line) => JSON.parse(line) as AuditLine & { msg: string }).filter((line) => line.audit === true && line.msg === 'audit');

  it('writes one audit line for a cancel and one for a dead-letter retry, with key id and tenant, and no key anywhere in the log', async () => {
    const operator = caller(server.url, keys['acme-operator']);
    const later = await operator('POST', '/v1/jobs', { type: 'echo', input: {}, delayMs: 60_000 });
    assert.equal(later.status, 202, JSON.stringify(later.body));
    const target = await suite.target([400, 200]);
    const failing = await operator('POST', '/v1/jobs', { type: 'http', input: { url: `${target.url}/hook` }, retry: fast });
    assert.equal(failing.status, 202, JSON.stringify(failing.body));
    await suite.stack.waitFor(failing.body.id, (job) => job.status === 'dead_lettered');

    lines.length = 0;
    assert.equal((await operator('POST', `/v1/jobs/${encodeURIComponent(later.body.id)}/cancel`)).status, 202);
    assert.equal((await operator('POST', `/v1/dead-letters/${encodeURIComponent(failing.body.id)}/retry`, {})).status, 202);
    // Reads are not audited; a refused change is.
    assert.equal((await operator('GET', `/v1/jobs/${encodeURIComponent(later.body.id)}`)).status, 200);
    assert.equal(
      (await caller(server.url, keys['acme-reader'])('POST', `/v1/jobs/${encodeURIComponent(later.body.id)}/cancel`)).status,
      403,
    );
    assert.equal((await caller(server.url, undefined)('POST', `/v1/jobs/${encodeURIComponent(later.body.id)}/cancel`)).status, 401);
    await new Promise((resolve) => setTimeout(resolve, 100)); // 'finish' fires after the client has its answer

    const audit = auditLines();
    const cancels = audit.filter((line) => line.operation === 'POST /v1/jobs/:id/cancel' && line.keyId === 'acme-operator');
    assert.equal(cancels.length, 1, JSON.stringify(audit));
    assert.deepEqual(
      {
        keyId: cancels[0]!.keyId,
        tenant: cancels[0]!.tenant,
        role: cancels[0]!.role,
        jobId: cancels[0]!.jobId,
        status: cancels[0]!.status,
      },
      { keyId: 'acme-operator', tenant: 'acme', role: 'operator', jobId: later.body.id, status: 202 },
    );
    const retries = audit.filter((line) => line.operation === 'POST /v1/dead-letters/:id/retry');
    assert.equal(retries.length, 1, JSON.stringify(audit));
    assert.equal(retries[0]!.keyId, 'acme-operator');
    assert.equal(retries[0]!.tenant, 'acme');
    assert.equal(retries[0]!.jobId, failing.body.id);
    assert.equal(retries[0]!.status, 202);
    assert.ok(!audit.some((line) => line.operation.startsWith('GET')), 'reads are not audited');
    const refused = audit.filter((line) => line.status === 403 || line.status === 401);
    assert.deepEqual(
      refused.map((line) => [line.status, line.keyId, line.tenant]),
      [
        [403, 'acme-reader', 'acme'],
        [401, null, null],
      ],
    );

    const text = lines.join('');
    for (const key of Object.values(keys)) {
      assert.ok(!text.includes(key), 'a key is in the log');
      assert.ok(!text.includes(key.split('.')[1]!), "a key's secret is in the log");
    }
    assert.ok(text.includes('[Redacted]'), 'the request log shows the Authorization header redacted');
  });

  it('audits a submission with the id of the job it created', async () => {
    lines.length = 0;
    const created = await caller(server.url, keys['acme-operator'])('POST', '/v1/jobs', { type: 'echo', input: {} });
    assert.equal(created.status, 202);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [line, ...more] = auditLines();
    assert.equal(more.length, 0);
    assert.equal(line?.operation, 'POST /v1/jobs');
    assert.equal(line?.jobId, created.body.id);
  });
});
