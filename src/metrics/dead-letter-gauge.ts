import type { Client } from '@temporalio/client';
import { Gauge, type Registry } from 'prom-client';
import { visibilityQuery } from '../api/job-listing';
import { OPEN_PRINCIPAL } from '../auth/principal';

/** An operator's metric: every tenant's dead letters (tenants are not a label: their number is unbounded). */
const OPERATOR_VIEW = OPEN_PRINCIPAL;

/**
 * The current number of dead letters by job type: one visibility count per type, at most every `ttlMs`
 * (dead letters change at human speed; a scrape every 15 s must not become a count storm).
 */
export function registerDeadLetterGauge(registry: Registry, client: Client, types: readonly string[], ttlMs = 10_000): void {
  let reading: { at: number; value: Promise<Array<{ type: string; count: number }>> } | undefined;
  const read = () => {
    if (reading && Date.now() - reading.at < ttlMs) return reading.value;
    const counts = types.map(async (type) => {
      const { count } = await client.workflow.count(visibilityQuery({ type, status: 'dead_lettered' }, OPERATOR_VIEW));
      return { type, count };
    });
    const value = Promise.allSettled(counts).then((results) => results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
    reading = { at: Date.now(), value };
    return value;
  };
  new Gauge({
    name: 'jobline_dead_letters',
    help: 'Jobs parked as dead letters now, waiting for an operator to retry or discard them',
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      const counts = await read();
      this.reset();
      for (const { type, count } of counts) this.set({ type }, count);
    },
  });
}
