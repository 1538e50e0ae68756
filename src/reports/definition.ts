import type { z } from 'zod';

/**
 * One order, the shape every report source yields (`docs/reports.md` lists the columns). Amounts are
 * integer cents so that sums are exact and do not depend on the order rows arrive in.
 */
export interface OrderRow {
  id: number;
  /** ISO 8601, UTC (`2025-03-04T12:34:56Z`). */
  orderedAt: string;
  region: string;
  product: string;
  quantity: number;
  amountCents: number;
}

/** The columns a source must have, in the demo data's order. */
export const ORDER_COLUMNS = ['id', 'ordered_at', 'region', 'product', 'quantity', 'amount_cents'] as const;

/** Row filters every source applies (pushed down into SQL for PostgreSQL). Dates are `YYYY-MM-DD`, `to` exclusive. */
export interface OrderFilter {
  from?: string;
  to?: string;
  regions?: string[];
}

export function matchesFilter(row: OrderRow, filter: OrderFilter): boolean {
  if (filter.from && row.orderedAt < filter.from) return false;
  if (filter.to && row.orderedAt >= filter.to) return false;
  if (filter.regions && !filter.regions.includes(row.region)) return false;
  return true;
}

export type Cell = string | number;

/** One output table: rendered as CSV and JSON, and into the HTML report. */
export interface ReportTable {
  name: string;
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface ChartSpec {
  title: string;
  unit: string;
  bars: { label: string; value: number }[];
}

export interface ReportOutput {
  title: string;
  tables: ReportTable[];
  charts: ChartSpec[];
}

/**
 * Streaming state of one report run. Its memory is bounded by the number of groups, not rows, and its
 * snapshot is small JSON: it travels in heartbeats as part of the checkpoint.
 */
export interface Aggregator {
  add(row: OrderRow): void;
  snapshot(): unknown;
  output(): ReportOutput;
}

/** A report prepared with validated parameters. */
export interface PreparedReport {
  filter: OrderFilter;
  /** A fresh aggregator, or one restored from a checkpoint's snapshot. */
  aggregator(snapshot?: unknown): Aggregator;
}

/** A named report definition (`src/reports/<name>.ts`): clients choose it by name and pass parameters, never SQL. */
export interface ReportDefinition<Params extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  params: Params;
  prepare(params: z.output<Params>): PreparedReport;
}

export function defineReport<Params extends z.ZodType>(definition: ReportDefinition<Params>): ReportDefinition<Params> {
  return definition;
}
