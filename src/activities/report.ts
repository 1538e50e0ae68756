import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { ArtifactMeta, ArtifactStore } from '../artifacts';
import type { ReportsConfig } from '../config';
import type { ReportJobInput } from '../jobs/report';
import type { AttemptContext } from '../jobs/spec';
import { findReport } from '../reports';
import { openSource, type SourceDeps } from '../reports/sources/open-source';
import type { SourcePosition } from '../reports/sources/source';
import { storeReportArtifacts } from './report-artifacts';
import { checkpointFrom, fingerprintOf, type AttemptRows, type ReportCheckpoint } from './report-checkpoint';

export interface ReportActivityDeps extends SourceDeps {
  artifacts: ArtifactStore;
  checkpointIntervalMs: ReportsConfig['checkpointIntervalMs'];
}

/** A report job's result: counts and artifact metadata; the artifacts themselves are in the store. */
export interface ReportJobResult {
  report: string;
  rows: { scanned: number; matched: number };
  artifacts: ArtifactMeta[];
  /** Rows each attempt read: after a crash, the last attempt reads only what the checkpoint had not covered. */
  stats: { attempts: AttemptRows[] };
}

export function createReportActivities(deps: ReportActivityDeps) {
  return {
    runReport: (input: ReportJobInput, attempt: AttemptContext) => runReport(deps, input, attempt),
  };
}

async function runReport(deps: ReportActivityDeps, input: ReportJobInput, attempt: AttemptContext): Promise<ReportJobResult> {
  const context = Context.current();
  const definition = findReport(input.report);
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown report "${input.report}"`, 'InvalidInput');
  const params: unknown = definition.params.parse(input.params);
  const prepared = definition.prepare(params);
  const source = openSource(input.source, prepared.filter, deps);
  const fingerprint = fingerprintOf({ report: input.report, params, source: input.source });

  const previous = checkpointFrom(context.info.heartbeatDetails, fingerprint);
  const aggregator = prepared.aggregator(previous?.aggregate);
  let position: SourcePosition | undefined = previous?.position;
  let scanned = previous?.scanned ?? 0;
  let matched = previous?.matched ?? 0;
  const total = previous ? previous.total : await source.total();
  const mine: AttemptRows = { attempt: context.info.attempt, resumedFrom: scanned, rows: 0 };
  const attempts = [...(previous?.attempts ?? []), mine];
  if (previous) log.info('resuming report from checkpoint', { jobId: attempt.jobId, rows: scanned });

  const checkpoint = (): void => {
    mine.rows = scanned - mine.resumedFrom;
    if (!position) return;
    const details: ReportCheckpoint = {
      version: 1,
      fingerprint,
      position,
      scanned,
      matched,
      total,
      aggregate: aggregator.snapshot(),
      attempts,
    };
    context.heartbeat({ progress: { done: scanned, total, unit: 'rows' }, checkpoint: details });
  };
  const pace = input.maxRowsPerSecond ? pacer(input.maxRowsPerSecond) : undefined;
  context.heartbeat({ progress: { done: scanned, total, unit: 'rows' } });
  let lastCheckpointAt = Date.now();

  for await (const batch of source.batches(position)) {
    for (const row of batch.rows) aggregator.add(row);
    scanned += batch.scanned;
    matched += batch.rows.length;
    position = batch.position;
    // Cancellation arrives through heartbeats; stop between batches once it has.
    if (context.cancellationSignal.aborted) await context.cancelled;
    if (pace) await pace(scanned - mine.resumedFrom);
    if (Date.now() - lastCheckpointAt >= deps.checkpointIntervalMs) {
      checkpoint();
      lastCheckpointAt = Date.now();
    }
  }
  checkpoint();

  const artifacts = await storeReportArtifacts(deps.artifacts, attempt.jobId, input, aggregator.output());
  return { report: input.report, rows: { scanned, matched }, artifacts, stats: { attempts } };
}

/** Sleeps (cancellably) whenever this attempt is ahead of `rowsPerSecond`. */
function pacer(rowsPerSecond: number): (rows: number) => Promise<void> {
  const startedAt = Date.now();
  return async (rows) => {
    const ahead = startedAt + (rows / rowsPerSecond) * 1000 - Date.now();
    if (ahead > 0) await Context.current().sleep(ahead);
  };
}
