import { Readable } from 'node:stream';
import { ORDER_COLUMNS } from '../definition';

/** mulberry32: a tiny seeded PRNG; the same seed gives the same rows on every machine and Node version. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DEMO_REGIONS = ['central', 'east', 'north', 'south', 'west'] as const;
/** Weights: some regions sell more, so the chart has a shape. */
const REGION_WEIGHTS = [0.15, 0.25, 0.2, 0.3, 0.1];

/** A catalogue of products with list prices in cents. */
export const DEMO_PRODUCTS: readonly (readonly [string, number])[] = [
  ['Espresso machine', 34_900],
  ['Coffee grinder', 12_900],
  ['Milk frother', 4_500],
  ['Pour-over kettle', 5_900],
  ['French press', 3_200],
  ['Moka pot', 2_900],
  ['Cold brew jar', 2_400],
  ['Scale', 3_900],
  ['Tamper', 1_900],
  ['Knock box', 2_200],
  ['Cups (set of 4)', 2_800],
  ['Beans: house blend 1kg', 2_100],
  ['Beans: single origin 250g', 1_400],
  ['Decaf 500g', 1_600],
  ['Descaler', 900],
  ['Filter papers (100)', 500],
  ['Travel mug', 2_500],
  ['Barista apron', 3_400],
  ['Latte art pitcher', 1_800],
  ['Water filter', 1_200],
];

/** Orders over one year, 2025 (UTC). */
const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_MS = 365 * 24 * 3600 * 1000;

function pick<T>(items: readonly T[], weights: readonly number[], r: number): T {
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    acc += weights[i] ?? 0;
    if (r < acc) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Product popularity falls with price rank (cheap accessories sell most). */
const PRODUCT_WEIGHTS = (() => {
  const raw = DEMO_PRODUCTS.map((_, i) => 1 / (1 + ((i * 7) % DEMO_PRODUCTS.length)));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
})();

/** Row `id` (1-based) of the demo data, as CSV fields in ORDER_COLUMNS order. */
export function* demoRows(rows: number, seed: number): Generator<(string | number)[]> {
  const random = prng(seed);
  for (let id = 1; id <= rows; id++) {
    const orderedAt = new Date(YEAR_START + Math.floor((random() * YEAR_MS) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const region = pick(DEMO_REGIONS, REGION_WEIGHTS, random());
    const [product, price] = pick(DEMO_PRODUCTS, PRODUCT_WEIGHTS, random());
    const quantity = 1 + Math.floor(random() ** 3 * 5);
    // Up to 20% off, in whole cents.
    const discount = Math.floor(random() * 5) * 0.05;
    const amountCents = Math.round(quantity * price * (1 - discount));
    yield [id, orderedAt, region, product, quantity, amountCents];
  }
}

/** The demo data as a CSV byte stream (header first), produced lazily: millions of rows, constant memory. */
export function demoCsvStream(rows: number, seed: number): Readable {
  const source = demoRows(rows, seed);
  const LINES_PER_CHUNK = 2_000;
  let headerSent = false;
  return new Readable({
    read() {
      const lines: string[] = [];
      if (!headerSent) {
        lines.push(ORDER_COLUMNS.join(','));
        headerSent = true;
      }
      for (let i = 0; i < LINES_PER_CHUNK; i++) {
        const next = source.next();
        if (next.done) {
          if (lines.length) this.push(lines.join('\n') + '\n');
          this.push(null);
          return;
        }
        lines.push(next.value.join(','));
      }
      this.push(lines.join('\n') + '\n');
    },
  });
}
