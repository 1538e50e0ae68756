import { z } from 'zod';
import { REPORTS } from '../reports';
import { sourceFileIssues, tableIssues, type AdmissionIssue, type SourceAccess } from './admission';
import { defineJobType } from './define';
import { SourcePath, TableName } from './fields';

export const ReportSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('csv'), path: SourcePath.default('orders.csv') }).strict(),
  z.object({ type: z.literal('ndjson'), path: SourcePath }).strict(),
  z.object({ type: z.literal('postgres'), table: TableName.default('demo_orders') }).strict(),
]);
export type ReportSource = z.output<typeof ReportSource>;

export const REPORT_FORMATS = ['csv', 'json', 'html'] as const;

const common = {
  source: ReportSource.default({ type: 'csv', path: 'orders.csv' }),
  formats: z
    .array(z.enum(REPORT_FORMATS))
    .min(1)
    .default([...REPORT_FORMATS]),
  /** Caps the read rate, so that a big report does not crowd out other users of a shared database. */
  maxRowsPerSecond: z.number().int().positive().optional(),
};

/**
 * One variant per report definition, keyed by `report`: the edge validates `params` against the named
 * definition's own schema, and errors name `input.report` or `input.params.<field>`.
 */
const variants = REPORTS.map((report) =>
  z.object({ report: z.literal(report.name), params: report.params.prefault({}), ...common }).strict(),
);

export const ReportJobInput = z.discriminatedUnion(
  'report',
  variants as unknown as [(typeof variants)[number], ...(typeof variants)[number][]],
);
export type ReportJobInput = z.output<typeof ReportJobInput>;

/** The report's source file or table, against this deployment. */
async function admitReport(input: ReportJobInput, access: SourceAccess): Promise<AdmissionIssue[]> {
  const { source } = input;
  if (source.type === 'postgres') return tableIssues(access, source.table, ['source', 'table']);
  return sourceFileIssues(access, source.path, ['source', 'path']);
}

export const reportJob = defineJobType({
  type: 'report',
  description:
    'Runs a named report (GET /v1/reports) over a CSV/NDJSON file or a PostgreSQL table; streams, checkpoints, and stores CSV, JSON and HTML artifacts.',
  input: ReportJobInput,
  activity: 'runReport',
  // Long and heavy (a full pass over a file or table): a small pool of its own.
  resourceClass: 'reports',
  admit: admitReport,
  defaults: {
    maxAttempts: 5,
    attemptTimeoutMs: 6 * 60 * 60_000,
    timeoutMs: 24 * 60 * 60_000,
    // A dead worker is noticed after this, and the SDK sends heartbeats (with the checkpoint) at most every
    // 0.8 × this: 10 s bounds both the wait and the work redone after a crash, at one RPC per 8 s.
    heartbeatTimeoutMs: 10_000,
    nonRetryableErrorTypes: ['InvalidReportSource', 'TooManyGroups'],
  },
});
