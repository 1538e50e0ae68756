import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config';
import { upsertTableDdl } from '../src/batch/upsert-table';
import { TABLE_UNAVAILABLE } from '../src/tables/table-access';
import { dropTables, tempTableName, withPg } from './support/reports';
import { startStack, type Stack } from './support/stack';

type FieldErrors = { errors?: Array<{ field: string; message: string }> };

/** Names a client may try, none of which it may use; every one must get the same answer. */
const forbiddenNames = (realButNotAllowed: string) => [
  'pg_authid',
  'pg_catalog.pg_authid',
  'PG_CATALOG.pg_authid',
  '"pg_authid"',
  realButNotAllowed,
  `jobline_missing_${randomUUID().slice(0, 8)}`,
];

/** The three fields that name a table, as submissions. */
const submissions = (table: string, allowed: { orders: string; target: string }) => [
  {
    field: 'input.handlerInput.table',
    body: { type: 'batch', input: { handler: 'pg-upsert', handlerInput: { table }, items: [{ id: 1 }] } },
  },
  {
    field: 'input.source.params.table',
    body: {
      type: 'batch',
      input: {
        handler: 'pg-upsert',
        handlerInput: { table: allowed.target },
        source: { type: 'postgres', query: 'orders', params: { table } },
      },
    },
  },
  {
    field: 'input.source.table',
    body: { type: 'report', input: { report: 'sales-summary', source: { type: 'postgres', table }, formats: ['json'] } },
  },
];

async function createOrders(table: string): Promise<void> {
  await withPg(async (client) => {
    await client.query(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, ordered_at timestamptz, region text, product text, quantity int, amount_cents bigint)`,
    );
    await client.query(
      `INSERT INTO ${table} SELECT g, '2025-01-01'::timestamptz + g * interval '1 hour', 'north', 'Mug', 1, 100 + g FROM generate_series(1, 20) g`,
    );
  });
}

describe('tables: only the configured ones, and one answer for every other (real PostgreSQL)', function () {
  this.timeout(120_000);
  const orders = tempTableName('allowed_orders');
  const target = tempTableName('allowed_target');
  const notAllowed = tempTableName('not_allowed');
  let stack: Stack;

  before(async () => {
    await createOrders(orders);
    await createOrders(notAllowed);
    await withPg((client) => client.query(upsertTableDdl(target)));
    stack = await startStack({ env: { JOBLINE_PG_TABLES: `${orders}, ${target}` } });
  });
  after(async () => {
    await stack?.stop();
    await dropTables([orders, target, notAllowed]);
  });

  it('refuses pg_authid, pg_catalog names, a real table not on the list and a missing table with one identical 400', async () => {
    for (const table of forbiddenNames(notAllowed)) {
      for (const { field, body } of submissions(table, { orders, target })) {
        const key = `tables-${randomUUID()}`;
        const res = await stack.submit(body, { 'Idempotency-Key': key });
        assert.equal(res.status, 400, `${table} ${field}: ${JSON.stringify(res.body)}`);
        const errors = (res.body as unknown as FieldErrors).errors ?? [];
        assert.deepEqual(errors, [{ field, message: TABLE_UNAVAILABLE }], `${table}: ${JSON.stringify(errors)}`);
        assert.doesNotMatch(JSON.stringify(res.body), /rows?\b|\d+ rows|does not exist|permission/);
        const started = await fetch(`${stack.baseUrl}/v1/jobs/${body.type}-idem-${key}`);
        assert.equal(started.status, 404, 'nothing started');
      }
    }
  });

  it('runs a batch from an allowed query table into an allowed upsert table', async () => {
    const res = await stack.submit({
      type: 'batch',
      input: {
        handler: 'pg-upsert',
        handlerInput: { table: target },
        source: { type: 'postgres', query: 'orders', params: { table: orders } },
        chunkSize: 7,
      },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await stack.waitFor(res.body.id, (j) => j.status === 'completed', 60_000);
    assert.equal(done.progress?.succeeded, 20);
    const rows = await withPg(async (client) => (await client.query(`SELECT count(*)::int AS n FROM ${target}`)).rows[0] as { n: number });
    assert.equal(rows.n, 20);
  });

  it('refuses a NUL in a query parameter with a 400 and starts nothing', async () => {
    const key = `nul-${randomUUID()}`;
    const res = await stack.submit(
      {
        type: 'batch',
        input: { handler: 'noop', source: { type: 'postgres', query: 'orders', params: { table: orders, regions: ['north\u0000'] } } },
      },
      { 'Idempotency-Key': key },
    );
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const errors = (res.body as unknown as FieldErrors).errors ?? [];
    assert.ok(
      errors.some((e) => e.field === 'input.source.params.regions.0' && /NUL/.test(e.message)),
      JSON.stringify(errors),
    );
    assert.equal((await fetch(`${stack.baseUrl}/v1/jobs/batch-idem-${key}`)).status, 404);

    const report = await stack.submit({
      type: 'report',
      input: { report: 'sales-summary', params: { regions: ['a\u0000b'] }, source: { type: 'postgres', table: orders } },
    });
    assert.equal(report.status, 400, JSON.stringify(report.body));
    assert.ok(((report.body as unknown as FieldErrors).errors ?? []).some((e) => e.field === 'input.params.regions.0'));
  });
});

describe('tables without an allow list: one schema, never pg_catalog (real PostgreSQL)', function () {
  this.timeout(120_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('fails pg_authid exactly like a missing table, for a batch query, pg-upsert and a report, with no row count', async () => {
    const missing = `jobline_missing_${randomUUID().slice(0, 8)}`;
    const outcome = async (table: string, kind: number) => {
      const body = [
        { type: 'batch', input: { handler: 'noop', source: { type: 'postgres', query: 'orders', params: { table } } } },
        { type: 'batch', input: { handler: 'pg-upsert', handlerInput: { table }, items: [{ id: 1 }] } },
        { type: 'report', input: { report: 'sales-summary', source: { type: 'postgres', table }, formats: ['json'] } },
      ][kind]!;
      const res = await stack.submit(body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const job = await stack.waitFor(
        res.body.id,
        (j) => j.status === 'dead_lettered' || j.status === 'failed' || j.status === 'completed',
        60_000,
      );
      return { status: job.status, type: job.lastError?.type, message: job.lastError?.message, total: job.progress?.total };
    };
    for (const kind of [0, 1, 2]) {
      const forbidden = await outcome('pg_authid', kind);
      const absent = await outcome(missing, kind);
      assert.deepEqual(forbidden, absent, `kind ${kind}`);
      assert.equal(forbidden.status, 'dead_lettered');
      assert.ok(forbidden.message?.includes(TABLE_UNAVAILABLE), `kind ${kind}: ${forbidden.message}`);
      // An inline batch knows its size; a query's table is never counted.
      if (kind !== 1) assert.equal(forbidden.total, undefined, 'no row count was planned');
    }
  });
});

describe('table configuration', () => {
  it('defaults to every table of public, and reads an allow list', () => {
    assert.deepEqual(loadConfig({}).reports.tables, { schema: 'public' });
    assert.deepEqual(loadConfig({ JOBLINE_PG_SCHEMA: 'jobs', JOBLINE_PG_TABLES: 'a, b_2' }).reports.tables, {
      schema: 'jobs',
      tables: ['a', 'b_2'],
    });
  });

  it('refuses a system schema and names that are not identifiers', () => {
    for (const env of [
      { JOBLINE_PG_SCHEMA: 'pg_catalog' },
      { JOBLINE_PG_SCHEMA: 'information_schema' },
      { JOBLINE_PG_TABLES: 'ok,pg_catalog.pg_authid' },
      { JOBLINE_PG_TABLES: ' , ' },
    ]) {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && /JOBLINE_PG_/.test(err.message),
        JSON.stringify(env),
      );
    }
  });
});
