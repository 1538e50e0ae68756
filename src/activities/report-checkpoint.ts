import { createHash } from 'node:crypto';
import type { SourcePosition } from '../reports/sources/source';

/** Rows one attempt read, as recorded in the checkpoint: what `stats.attempts` in the result shows. */
export interface AttemptRows {
  attempt: number;
  /** Rows already done when the attempt started (0, or the checkpoint it resumed from). */
  resumedFrom: number;
  /** Rows this attempt read, as of its last checkpoint. */
  rows: number;
}

/**
 * What a report attempt heartbeats (as `checkpoint`, beside `progress`): where the next row is and the
 * aggregates of every row before it. A retry resumes from it; both halves are taken together between
 * batches, so no row is counted twice or missed.
 */
export interface ReportCheckpoint {
  version: 1;
  /** Hash of report, params and source: a checkpoint never resumes a different report. */
  fingerprint: string;
  position: SourcePosition;
  scanned: number;
  matched: number;
  total?: number;
  aggregate: unknown;
  attempts: AttemptRows[];
}

export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** The checkpoint in the last attempt's heartbeat details, if it belongs to this report. */
export function checkpointFrom(details: unknown, fingerprint: string): ReportCheckpoint | undefined {
  const checkpoint = (details as { checkpoint?: Partial<ReportCheckpoint> } | undefined)?.checkpoint;
  if (!checkpoint || checkpoint.version !== 1 || checkpoint.fingerprint !== fingerprint || !checkpoint.position) return undefined;
  return checkpoint as ReportCheckpoint;
}
