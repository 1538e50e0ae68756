import { z } from 'zod';
import { SqlText } from '../jobs/fields';
import { defineReport, type Aggregator, type Cell, type OrderRow, type ReportOutput } from './definition';
import { QuantileSketch, type SketchSnapshot } from './quantile-sketch';

const IsoDate = z.iso.date({ error: 'must be a date YYYY-MM-DD' });

export const SalesSummaryParams = z
  .object({
    /** First day included (UTC). */
    from: IsoDate.optional(),
    /** First day excluded (UTC). */
    to: IsoDate.optional(),
    /** Only these regions; all when absent. */
    regions: z.array(SqlText.min(1).max(64)).min(1).max(100).optional(),
    /** Rows in the top-products table. */
    topProducts: z.number().int().min(1).max(100).default(10),
  })
  .strict()
  .refine((p) => !p.from || !p.to || p.from < p.to, { error: 'must be after `from`', path: ['to'] });

export type SalesSummaryParams = z.output<typeof SalesSummaryParams>;

/**
 * Groups and products are kept exactly (their number is bounded by the data's regions × months and its
 * catalogue, not by rows); a report over more than this many is refused rather than exhausting memory.
 */
export const MAX_GROUPS = 10_000;

interface GroupState {
  orders: number;
  revenueCents: number;
  sketch: QuantileSketch;
}

interface ProductState {
  orders: number;
  units: number;
  revenueCents: number;
}

interface Snapshot {
  groups: [string, number, number, SketchSnapshot][];
  products: [string, number, number, number][];
}

export class TooManyGroupsError extends Error {
  constructor(what: string) {
    super(`more than ${MAX_GROUPS} distinct ${what}: this report keeps one entry per ${what}`);
    this.name = 'TooManyGroups';
  }
}

const cents = (value: number): number => Math.round(value) / 100;

class SalesSummaryAggregator implements Aggregator {
  private readonly groups = new Map<string, GroupState>();
  private readonly products = new Map<string, ProductState>();

  constructor(
    private readonly params: SalesSummaryParams,
    snapshot?: Snapshot,
  ) {
    for (const [key, orders, revenueCents, sketch] of snapshot?.groups ?? []) {
      this.groups.set(key, { orders, revenueCents, sketch: QuantileSketch.restore(sketch) });
    }
    for (const [name, orders, units, revenueCents] of snapshot?.products ?? []) this.products.set(name, { orders, units, revenueCents });
  }

  add(row: OrderRow): void {
    // region and month (YYYY-MM) joined by a character neither can hold.
    const key = `${row.region}\u0000${row.orderedAt.slice(0, 7)}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= MAX_GROUPS) throw new TooManyGroupsError('region-months');
      group = { orders: 0, revenueCents: 0, sketch: new QuantileSketch() };
      this.groups.set(key, group);
    }
    group.orders += 1;
    group.revenueCents += row.amountCents;
    group.sketch.add(row.amountCents);

    let product = this.products.get(row.product);
    if (!product) {
      if (this.products.size >= MAX_GROUPS) throw new TooManyGroupsError('products');
      product = { orders: 0, units: 0, revenueCents: 0 };
      this.products.set(row.product, product);
    }
    product.orders += 1;
    product.units += row.quantity;
    product.revenueCents += row.amountCents;
  }

  snapshot(): Snapshot {
    return {
      groups: [...this.groups].map(([key, g]) => [key, g.orders, g.revenueCents, g.sketch.snapshot()]),
      products: [...this.products].map(([name, p]) => [name, p.orders, p.units, p.revenueCents]),
    };
  }

  output(): ReportOutput {
    const byGroup = [...this.groups]
      .map(([key, g]) => {
        const [region = '', month = ''] = key.split('\u0000');
        return { region, month, ...g };
      })
      .sort((a, b) => a.region.localeCompare(b.region) || a.month.localeCompare(b.month));
    const regionMonthRows: Cell[][] = byGroup.map((g) => [
      g.region,
      g.month,
      g.orders,
      cents(g.revenueCents),
      cents(g.revenueCents / g.orders),
      cents(g.sketch.quantile(0.95)),
    ]);
    const top = [...this.products]
      .sort(([nameA, a], [nameB, b]) => b.revenueCents - a.revenueCents || nameA.localeCompare(nameB))
      .slice(0, this.params.topProducts)
      .map(([name, p], i): Cell[] => [i + 1, name, p.orders, p.units, cents(p.revenueCents)]);

    const revenueBy = (pick: (g: (typeof byGroup)[number]) => string) => {
      const totals = new Map<string, number>();
      for (const g of byGroup) totals.set(pick(g), (totals.get(pick(g)) ?? 0) + g.revenueCents);
      return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([label, value]) => ({ label, value: cents(value) }));
    };
    return {
      title: 'Sales summary',
      tables: [
        {
          name: 'by-region-month',
          title: 'Revenue and order value by region and month',
          columns: ['region', 'month', 'orders', 'revenue', 'avg_order_value', 'p95_order_value'],
          rows: regionMonthRows,
        },
        {
          name: 'top-products',
          title: `Top ${this.params.topProducts} products by revenue`,
          columns: ['rank', 'product', 'orders', 'units', 'revenue'],
          rows: top,
        },
      ],
      charts: [
        { title: 'Revenue by month', unit: 'revenue', bars: revenueBy((g) => g.month) },
        { title: 'Revenue by region', unit: 'revenue', bars: revenueBy((g) => g.region) },
      ],
    };
  }
}

export const salesSummary = defineReport({
  name: 'sales-summary',
  description:
    'Revenue, order count, average and p95 order value by region and month (p95 within 1%: DDSketch), and the top products by revenue.',
  params: SalesSummaryParams,
  prepare: (params) => ({
    filter: { from: params.from, to: params.to, regions: params.regions },
    aggregator: (snapshot) => new SalesSummaryAggregator(params, snapshot as Snapshot | undefined),
  }),
});
