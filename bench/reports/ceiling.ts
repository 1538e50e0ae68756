import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config';
import { lazyPool } from '../../src/reports/sources/pg-pool';
import { openSource } from '../../src/reports/sources/open-source';
import { salesSummary } from '../../src/reports/sales-summary';
import type { ReportSource } from '../../src/jobs/report';

/**
 * (a) The ceiling: the same source reader and aggregation as the report job, in one plain process with no
 * Temporal, heartbeats or artifact store around it. Prints one JSON line: rows, ms, peak RSS.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { source: { type: 'string' }, 'source-dir': { type: 'string' }, 'database-url': { type: 'string' } },
  });
  const source = JSON.parse(values.source ?? '{}') as ReportSource;
  const pgPool = lazyPool(values['database-url'] ?? '');
  const prepared = salesSummary.prepare(salesSummary.params.parse({}));
  const rows = openSource(source, prepared.filter, { sourceDir: values['source-dir'] ?? '', pgPool, tables: loadConfig().reports.tables });
  const aggregator = prepared.aggregator();
  const started = process.hrtime.bigint();
  let scanned = 0;
  for await (const batch of rows.batches(undefined)) {
    for (const row of batch.rows) aggregator.add(row);
    scanned += batch.scanned;
  }
  aggregator.output();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await pgPool().end();
  process.stdout.write(JSON.stringify({ rows: scanned, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
