/**
 * The dev server's Prometheus metrics (`--metrics-port`): persistence calls per operation, to count what one
 * job costs the database. Latency sums include the wait for the dev server's single SQLite connection.
 */

export type PersistenceSnapshot = Map<string, { count: number; sumSec: number }>;

export interface PersistenceUsage {
  /** Persistence calls (all operations, main and visibility stores) per accepted job. */
  callsPerJob: number;
  /** Summed call latency per job, ms: time spent in (or waiting for) the database. */
  latencyMsPerJob: number;
  /** The operations with the most calls per job. */
  top: Array<{ operation: string; perJob: number; meanMs: number }>;
}

const LINE = /^(visibility_persistence_latency|persistence_latency)_(count|sum)\{([^}]*)\} ([0-9.eE+-]+)$/;

export async function persistenceSnapshot(metricsUrl: string): Promise<PersistenceSnapshot> {
  const response = await fetch(metricsUrl);
  const text = await response.text();
  const snapshot: PersistenceSnapshot = new Map();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, family, kind, labels, value] = match;
    const operation = /operation="([^"]*)"/.exec(labels!)?.[1] ?? '?';
    const key = family!.startsWith('visibility') ? `visibility:${operation}` : operation;
    const entry = snapshot.get(key) ?? { count: 0, sumSec: 0 };
    if (kind === 'count') entry.count += Number(value);
    else entry.sumSec += Number(value);
    snapshot.set(key, entry);
  }
  return snapshot;
}

export function persistenceUsage(
  before: PersistenceSnapshot,
  after: PersistenceSnapshot,
  jobs: number,
  topN = 8,
): PersistenceUsage | undefined {
  if (jobs <= 0) return undefined;
  const deltas: Array<{ operation: string; count: number; sumSec: number }> = [];
  for (const [operation, end] of after) {
    const start = before.get(operation) ?? { count: 0, sumSec: 0 };
    const count = end.count - start.count;
    if (count > 0) deltas.push({ operation, count, sumSec: end.sumSec - start.sumSec });
  }
  deltas.sort((a, b) => b.count - a.count);
  const calls = deltas.reduce((acc, d) => acc + d.count, 0);
  const latency = deltas.reduce((acc, d) => acc + d.sumSec, 0);
  return {
    callsPerJob: calls / jobs,
    latencyMsPerJob: (latency * 1000) / jobs,
    top: deltas.slice(0, topN).map((d) => ({ operation: d.operation, perJob: d.count / jobs, meanMs: (d.sumSec * 1000) / d.count })),
  };
}
