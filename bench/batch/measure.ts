import os from 'node:os';
import type { PhaseUsage } from '../procfs';
import type { BatchSystem } from './options';

/** One measured run of one system: N items from the first submit to the last item done. */
export interface BatchRun {
  system: BatchSystem;
  items: number;
  /** From the first submit (POST, or the first addBulk) to the end (status completed, or the last finishedOn). */
  ms: number;
  itemsPerSecond: number;
  usage: PhaseUsage;
  /** 1-minute load average when the run started and ended. */
  load: [number, number];
  /** System-specific figures (timeline, submit times, ...), kept in the JSON. */
  detail: Record<string, unknown>;
}

export function loadAverage(): number {
  return os.loadavg()[0] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
