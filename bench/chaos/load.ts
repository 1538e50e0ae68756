import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type JobKind = 'echo' | 'http' | 'report' | 'batch' | 'pipeline';
export const JOB_KINDS: readonly JobKind[] = ['echo', 'http', 'report', 'batch', 'pipeline'];

/** Relative weights of the kinds in the mixed load. */
export type JobMix = Record<JobKind, number>;
export const DEFAULT_MIX: JobMix = { echo: 5, http: 4, report: 1, batch: 1, pipeline: 1 };

export interface Planned {
  kind: JobKind;
  /** The submission's Idempotency-Key (retried with the same key until the API answers 202). */
  key: string;
  body: unknown;
  /** Batch jobs: the item keys they must write, once each. */
  itemKeys?: string[];
}

export interface LoadContext {
  targetUrl: string;
  sourceDir: string;
  table: string;
  batchItems: number;
  reportCsv: string;
}

// Short heartbeat timeouts and retries: a SIGKILLed attempt is noticed in seconds and retried, not lost.
const resilience = { heartbeatTimeoutMs: 3_000, maxAttempts: 20, retry: { initialIntervalMs: 200, maxIntervalMs: 2_000 } };

/** The next job of the mixed load, drawn by weight. */
export function planJob(mix: JobMix, context: LoadContext, random: () => number = Math.random): Planned {
  const total = JOB_KINDS.reduce((sum, kind) => sum + mix[kind], 0);
  let pick = random() * total;
  const kind = JOB_KINDS.find((k) => (pick -= mix[k]) < 0) ?? 'echo';
  const key = `chaos-${kind}-${randomUUID()}`;
  switch (kind) {
    case 'echo':
      return { kind, key, body: { type: 'echo', input: { value: key, sleepMs: Math.floor(random() * 1_500) }, ...resilience } };
    case 'http':
      return {
        kind,
        key,
        body: {
          type: 'http',
          input: {
            method: 'POST',
            url: `${context.targetUrl}/hook`,
            headers: { 'Idempotency-Key': key },
            body: { key },
            timeoutMs: 10_000,
          },
          ...resilience,
        },
      };
    case 'report':
      return {
        kind,
        key,
        body: {
          type: 'report',
          input: { report: 'sales-summary', source: { type: 'csv', path: context.reportCsv }, formats: ['json'] },
          ...resilience,
        },
      };
    case 'batch': {
      const itemKeys = Array.from({ length: context.batchItems }, (_, i) => `${key}-${i}`);
      const file = `${key}.ndjson`;
      fs.writeFileSync(
        path.join(context.sourceDir, file),
        itemKeys.map((id, i) => JSON.stringify({ id, amountCents: i })).join('\n') + '\n',
      );
      return {
        kind,
        key,
        itemKeys,
        body: {
          type: 'batch',
          input: {
            handler: 'pg-upsert',
            handlerInput: { table: context.table },
            source: { type: 'ndjson', path: file },
            chunkSize: 25,
            concurrency: 2,
          },
          ...resilience,
        },
      };
    }
    case 'pipeline': {
      const node = (id: string, dependsOn: string[]) => ({
        id,
        type: 'echo',
        input: { value: id, sleepMs: 300 },
        dependsOn,
        ...resilience,
      });
      return {
        kind,
        key,
        body: { type: 'pipeline', input: { nodes: [node('a', []), node('b', ['a']), node('c', ['a']), node('d', ['b', 'c'])] } },
      };
    }
  }
}
