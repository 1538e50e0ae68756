import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ReportJobResult } from '../src/activities/report';
import { seedDemo } from '../src/reports/demo/seed';
import { startStack, type Stack } from './support/stack';
import {
  comparable,
  databaseUrl,
  dropTables,
  makeReportDirs,
  sha256,
  tableRows,
  tempTableName,
  withPg,
  type ReportDirs,
} from './support/reports';

/** Eight orders whose aggregates can be checked by hand (see the expectations below). */
const HAND_CSV = `id,ordered_at,region,product,quantity,amount_cents
1,2025-01-05T10:00:00Z,north,Mug,1,1000
2,2025-01-20T10:00:00Z,north,Kettle,2,5000
3,2025-01-31T23:59:59Z,south,Mug,3,3000
4,2025-02-01T00:00:00Z,north,Mug,1,1000
5,2025-02-14T12:00:00Z,south,Kettle,1,2500
6,2025-02-15T12:00:00Z,south,Grinder,1,12000
7,2025-02-28T12:00:00Z,south,"Beans, dark",2,1500
8,2025-03-01T00:00:00Z,east,Mug,1,1000
`;

/** DDSketch answers within 1%; the rest is exact. */
function assertNear(actual: unknown, expected: number, message: string): void {
  assert.equal(typeof actual, 'number', message);
  assert.ok(Math.abs((actual as number) - expected) <= expected * 0.01 + 0.01, `${message}: ${String(actual)} ≉ ${expected}`);
}

/** The bar: a report over a million demo rows, from each source, checked against SQL. */
const DEMO_ROWS = Number(process.env.JOBLINE_TEST_REPORT_ROWS ?? 1_000_000);

describe('report job: sources, numbers, validation (real dev server, real PostgreSQL)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let dirs: ReportDirs;
  const tables: string[] = [];
  let handTable: string;

  before(async () => {
    dirs = makeReportDirs();
    stack = await startStack({ env: dirs.env });
    fs.writeFileSync(path.join(dirs.sourceDir, 'hand.csv'), HAND_CSV);
    const ndjson = HAND_CSV.trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [id, orderedAt, region, ...rest] = line.split(',');
        const [amount, quantity, ...product] = rest.reverse();
        return JSON.stringify({
          id: Number(id),
          ordered_at: orderedAt,
          region,
          product: product.reverse().join(',').replace(/"/g, ''),
          quantity: Number(quantity),
          amount_cents: Number(amount),
        });
      });
    fs.writeFileSync(path.join(dirs.sourceDir, 'hand.ndjson'), ndjson.join('\n') + '\n');
    handTable = tempTableName('hand');
    tables.push(handTable);
    await withPg(async (client) => {
      await client.query(
        `CREATE TABLE ${handTable} (id bigint PRIMARY KEY, ordered_at timestamptz, region text, product text, quantity int, amount_cents bigint)`,
      );
      for (const line of HAND_CSV.trim().split('\n').slice(1)) {
        const [id, orderedAt, region, ...rest] = line.split(',');
        const [amount, quantity, ...product] = rest.reverse();
        await client.query(`INSERT INTO ${handTable} VALUES ($1, $2, $3, $4, $5, $6)`, [
          id,
          orderedAt,
          region,
          product.reverse().join(',').replace(/"/g, ''),
          quantity,
          amount,
        ]);
      }
    });
  });
  after(async () => {
    await stack.stop();
    await dropTables(tables);
    dirs.cleanup();
  });

  async function runReport(input: unknown): Promise<{ id: string; result: ReportJobResult }> {
    const submitted = await stack.submit({ type: 'report', input });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const job = await stack.waitFor(submitted.body.id, (j) => j.status === 'completed' || j.status === 'dead_lettered', 30_000);
    assert.equal(job.status, 'completed', JSON.stringify(job.lastError));
    return { id: job.id, result: job.result as ReportJobResult };
  }

  it('seeds deterministically: same seed, same bytes; a table with the same rows', async () => {
    const table = tempTableName('seed');
    tables.push(table);
    const a = await seedDemo({ rows: 3_000, seed: 7, csvFile: path.join(dirs.sourceDir, 'seed-a.csv'), table, databaseUrl: databaseUrl() });
    await seedDemo({ rows: 3_000, seed: 7, csvFile: path.join(dirs.sourceDir, 'seed-b.csv'), databaseUrl: databaseUrl() });
    await seedDemo({ rows: 3_000, seed: 8, csvFile: path.join(dirs.sourceDir, 'seed-c.csv'), databaseUrl: databaseUrl() });
    const bytes = (name: string) => fs.readFileSync(path.join(dirs.sourceDir, name));
    assert.equal(sha256(bytes('seed-a.csv')), sha256(bytes('seed-b.csv')));
    assert.notEqual(sha256(bytes('seed-a.csv')), sha256(bytes('seed-c.csv')));
    assert.equal(a.rows, 3_000);
    const csvLines = bytes('seed-a.csv').toString().trim().split('\n').slice(1);
    const csvSum = csvLines.reduce((sum, line) => sum + Number(line.split(',').at(-1)), 0);
    const [dbRow] = await withPg(
      async (c) => (await c.query<{ n: string; s: string }>(`SELECT count(*) AS n, sum(amount_cents) AS s FROM ${table}`)).rows,
    );
    assert.equal(Number(dbRow?.n), 3_000);
    assert.equal(Number(dbRow?.s), csvSum);
  });

  it('runs as a pipeline node, its artifacts stored under the node’s job id', async () => {
    const nodes = [{ id: 'summary', type: 'report', input: { report: 'sales-summary', source: { type: 'csv', path: 'hand.csv' } } }];
    const submitted = await stack.submit({ type: 'pipeline', input: { nodes } });
    const done = await stack.waitFor(submitted.body.id, (j) => j.status === 'completed' || j.status === 'failed', 30_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.nodes));
    const nodeJob = `${submitted.body.id}/summary`;
    const rows = await tableRows(stack.baseUrl, nodeJob, 'by-region-month');
    assert.equal(rows.length, 5);
  });

  for (const source of ['csv', 'ndjson', 'postgres'] as const) {
    it(`gives the hand-checked numbers over ${source}`, async () => {
      const input = {
        report: 'sales-summary',
        params: { topProducts: 3 },
        source: source === 'postgres' ? { type: 'postgres', table: handTable } : { type: source, path: `hand.${source}` },
      };
      const { id, result } = await runReport(input);
      assert.deepEqual(result.rows, { scanned: 8, matched: 8 });
      const groups = await tableRows(stack.baseUrl, id, 'by-region-month');
      assert.deepEqual(
        groups.map(({ p95_order_value: _p95, ...rest }) => rest),
        [
          { region: 'east', month: '2025-03', orders: 1, revenue: 10, avg_order_value: 10 },
          { region: 'north', month: '2025-01', orders: 2, revenue: 60, avg_order_value: 30 },
          { region: 'north', month: '2025-02', orders: 1, revenue: 10, avg_order_value: 10 },
          { region: 'south', month: '2025-01', orders: 1, revenue: 30, avg_order_value: 30 },
          { region: 'south', month: '2025-02', orders: 3, revenue: 160, avg_order_value: 53.33 },
        ],
      );
      // p95 = the value at rank floor(0.95 × (n − 1)), within 1%: [10, 50] → 10; [15, 25, 120] → 25.
      [10, 10, 10, 30, 25].forEach((expected, i) =>
        assertNear(groups[i]?.p95_order_value, expected, `p95 of ${groups[i]?.region} ${groups[i]?.month}`),
      );
      assert.deepEqual(await tableRows(stack.baseUrl, id, 'top-products'), [
        { rank: 1, product: 'Grinder', orders: 1, units: 1, revenue: 120 },
        { rank: 2, product: 'Kettle', orders: 2, units: 3, revenue: 75 },
        { rank: 3, product: 'Mug', orders: 4, units: 6, revenue: 60 },
      ]);
    });
  }

  it('applies date and region filters the same way in SQL and over files', async () => {
    const params = { from: '2025-02-01', to: '2025-03-01', regions: ['south'] };
    const csv = await runReport({ report: 'sales-summary', params, source: { type: 'csv', path: 'hand.csv' } });
    const pg = await runReport({ report: 'sales-summary', params, source: { type: 'postgres', table: handTable } });
    assert.deepEqual(csv.result.rows, { scanned: 8, matched: 3 });
    assert.deepEqual(pg.result.rows, { scanned: 3, matched: 3 }, 'PostgreSQL reads only matching rows');
    // The HTML names its source, so only the tables must be byte-identical.
    const tablesOf = (r: ReportJobResult) => comparable(r).artifacts.filter((a) => a.name !== 'report.html');
    assert.deepEqual(tablesOf(csv.result), tablesOf(pg.result));
    const groups = await tableRows(stack.baseUrl, csv.id, 'by-region-month');
    assert.deepEqual(
      groups.map((g) => [g.region, g.month, g.orders, g.revenue]),
      [['south', '2025-02', 3, 160]],
    );
  });

  it(`gives byte-identical artifacts over ${DEMO_ROWS.toLocaleString('en')} seeded rows as CSV and as a table, and agrees with SQL recomputed independently`, async function () {
    this.timeout(180_000);
    const table = tempTableName('same');
    tables.push(table);
    await seedDemo({ rows: DEMO_ROWS, seed: 11, csvFile: path.join(dirs.sourceDir, 'same.csv'), table, databaseUrl: databaseUrl() });
    const csv = await runReport({ report: 'sales-summary', source: { type: 'csv', path: 'same.csv' } });
    const pg = await runReport({ report: 'sales-summary', source: { type: 'postgres', table } });
    assert.deepEqual(
      comparable(csv.result).artifacts.filter((a) => a.name !== 'report.html'),
      comparable(pg.result).artifacts.filter((a) => a.name !== 'report.html'),
    );
    assert.equal(csv.result.rows.matched, DEMO_ROWS);

    const groups = await tableRows(stack.baseUrl, pg.id, 'by-region-month');
    const expected = await withPg(
      async (c) =>
        (
          await c.query<{ region: string; month: string; orders: string; revenue: string; p95: number }>(
            `SELECT region, to_char(ordered_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS orders, sum(amount_cents) AS revenue,
                  ((array_agg(amount_cents ORDER BY amount_cents))[floor(0.95 * (count(*) - 1))::int + 1])::float8 AS p95
             FROM ${table} GROUP BY 1, 2 ORDER BY 1, 2`,
          )
        ).rows,
    );
    assert.equal(groups.length, expected.length);
    for (const [i, row] of expected.entries()) {
      const got = groups[i]!;
      assert.deepEqual(
        [got.region, got.month, got.orders, got.revenue],
        [row.region, row.month, Number(row.orders), Number(row.revenue) / 100],
      );
      // The exact value at the sketch's rank, floor(0.95 × (n − 1)); the sketch is within 1% of it.
      assertNear(got.p95_order_value, row.p95 / 100, `p95 ${row.region} ${row.month}`);
    }
  });

  it('stops a running report when the job is cancelled', async () => {
    await seedDemo({ rows: 50_000, seed: 1, csvFile: path.join(dirs.sourceDir, 'cancel.csv'), databaseUrl: databaseUrl() });
    const { body } = await stack.submit({
      type: 'report',
      input: { report: 'sales-summary', source: { type: 'csv', path: 'cancel.csv' }, maxRowsPerSecond: 5_000 },
      heartbeatTimeoutMs: 1_000,
    });
    await stack.waitFor(body.id, (j) => j.status === 'running');
    const response = await fetch(`${stack.baseUrl}/v1/jobs/${body.id}/cancel`, { method: 'POST' });
    assert.equal(response.status, 202);
    const job = await stack.waitFor(body.id, (j) => j.status === 'cancelled', 15_000);
    assert.equal(job.result, undefined);
  });

  it('lists the report definitions with their parameter schemas', async () => {
    const response = await fetch(`${stack.baseUrl}/v1/reports`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { reports: { name: string; params: { properties: Record<string, unknown> } }[] };
    const sales = body.reports.find((r) => r.name === 'sales-summary');
    assert.ok(sales);
    assert.deepEqual(Object.keys(sales.params.properties).sort(), ['from', 'regions', 'to', 'topProducts']);
  });

  const badInputs: [string, unknown, string][] = [
    ['an unknown report', { report: 'no-such-report' }, 'input.report'],
    ['a bad parameter', { report: 'sales-summary', params: { topProducts: 1000 } }, 'input.params.topProducts'],
    ['an unknown parameter', { report: 'sales-summary', params: { region: 'north' } }, 'input.params'],
    ['a bad date', { report: 'sales-summary', params: { from: '2025-13-01' } }, 'input.params.from'],
    [
      'a path leaving the source directory',
      { report: 'sales-summary', source: { type: 'csv', path: '../etc/passwd' } },
      'input.source.path',
    ],
    [
      'a table name that is not an identifier',
      { report: 'sales-summary', source: { type: 'postgres', table: 'x; drop table y' } },
      'input.source.table',
    ],
  ];
  for (const [what, input, field] of badInputs) {
    it(`refuses ${what} with a 400 naming ${field}`, async () => {
      const { status, body } = await stack.submit({ type: 'report', input });
      assert.equal(status, 400);
      const errors = (body as unknown as { errors: { field: string }[] }).errors;
      assert.ok(
        errors.some((e) => e.field === field),
        JSON.stringify(errors),
      );
    });
  }

  it('refuses a report over a missing file at submission', async () => {
    const { status, body } = await stack.submit({
      type: 'report',
      input: { report: 'sales-summary', source: { type: 'csv', path: 'missing.csv' } },
    });
    assert.equal(status, 400, JSON.stringify(body));
    assert.match(JSON.stringify(body), /input\.source\.path: no such source file: missing.csv/);
  });

  it('dead-letters a report over a missing table without retrying', async () => {
    for (const source of [{ type: 'postgres', table: 'jobline_no_such_table' }]) {
      const { body } = await stack.submit({ type: 'report', input: { report: 'sales-summary', source } });
      const job = await stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
      assert.equal(job.attempts, 1);
      assert.equal(job.lastError?.type, 'InvalidReportSource');
    }
  });
});
