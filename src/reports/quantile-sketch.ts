import { DDSketch } from '@datadog/sketches-js';

/**
 * Percentiles with DDSketch (Datadog's sketch; `@datadog/sketches-js`): values fall into logarithmic bins
 * with a guaranteed relative error (1% here), so memory grows with log(max/min), not with the row count.
 * Why DDSketch rather than a t-digest: its state is integer counts per bin, so it is independent of the
 * order values arrive in and serialises exactly; a report resumed from a checkpoint gives bit-identical
 * percentiles, where a t-digest rebuilt from centroids would not.
 */
export const RELATIVE_ACCURACY = 0.01;

/** Dense bin counts from `k0`: a few hundred numbers per group for order values. */
export interface SketchSnapshot {
  n: number;
  k0: number;
  c: number[];
}

export class QuantileSketch {
  private readonly sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });

  /** Positive values only (order amounts); non-positive ones are refused by the caller's validation. */
  add(value: number): void {
    this.sketch.accept(value);
  }

  quantile(q: number): number {
    return this.sketch.getValueAtQuantile(q);
  }

  get count(): number {
    return this.sketch.count;
  }

  snapshot(): SketchSnapshot {
    const store = this.sketch.store;
    if (store.count === 0) return { n: 0, k0: 0, c: [] };
    const counts: number[] = [];
    for (let key = store.minKey; key <= store.maxKey; key++) counts.push(store.bins[key - store.offset] ?? 0);
    return { n: store.count, k0: store.minKey, c: counts };
  }

  static restore(snapshot: SketchSnapshot): QuantileSketch {
    const restored = new QuantileSketch();
    const { sketch } = restored;
    snapshot.c.forEach((count, i) => {
      if (count > 0) sketch.store.add(snapshot.k0 + i, count);
    });
    sketch.count = snapshot.n;
    return restored;
  }
}
