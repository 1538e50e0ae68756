import type { ArtifactStore } from '../artifacts';
import { excerpt } from '../files/excerpt';
import type { FailureRecord } from './types';

/**
 * The most of an item's error a record keeps. Errors can quote source data (a line that is not JSON, a
 * database message): the readers quote short excerpts, and this bound holds for whatever else does,
 * including records written before the readers did.
 */
export const MAX_RECORDED_ERROR_CHARS = 300;

function bounded(record: FailureRecord): FailureRecord {
  return {
    ...record,
    failures: record.failures.map((failure) => ({ ...failure, error: excerpt(String(failure.error), MAX_RECORDED_ERROR_CHARS) })),
  };
}

/** Failure records are artifacts of the batch job: `failed-items-r<round>-c<chunk>.json`. */
export function failureRecordName(round: number, chunk: number): string {
  return `failed-items-r${round}-c${String(chunk).padStart(6, '0')}.json`;
}

/** Written once per chunk run that had failures; a re-run of the same attempt writes the same bytes again. */
export async function writeFailureRecord(store: ArtifactStore, jobId: string, record: FailureRecord): Promise<void> {
  await store.put(
    jobId,
    failureRecordName(record.round, record.chunk.index),
    'application/json',
    Buffer.from(JSON.stringify(bounded(record))),
  );
}

export async function readFailureRecord(
  store: ArtifactStore,
  jobId: string,
  round: number,
  chunk: number,
): Promise<FailureRecord | undefined> {
  const download = await store.open(jobId, failureRecordName(round, chunk));
  if (!download) return undefined;
  const parts: Buffer[] = [];
  for await (const part of download.body as AsyncIterable<Buffer>) parts.push(part);
  const record = JSON.parse(Buffer.concat(parts).toString('utf8')) as Partial<FailureRecord>;
  // Stored data may be old or foreign: a record that is not one is as good as none.
  if (record.version !== 1 || !record.chunk || !Array.isArray(record.failures)) return undefined;
  return bounded(record as FailureRecord);
}
