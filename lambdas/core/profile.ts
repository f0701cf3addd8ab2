/**
 * The baseline profiler (DESIGN.md section 4): one streaming pass over the training rows,
 * memory bounded whatever the number of rows, producing baseline.json.
 *
 * Numeric features: count, missing, mean and population std (Welford), min, max, a seeded
 * uniform reservoir sample of up to BASELINE_SAMPLE_SIZE values, and decile edges (linear
 * interpolation on the sorted sample) with the sample's count in each bin. A numeric feature
 * with at most MAX_DISTINCT_FOR_CATEGORICAL distinct values becomes categorical, its values
 * keyed by the canonical String(number).
 *
 * Categorical features: counts of the top BASELINE_TOP_CATEGORIES values plus OTHER_CATEGORY.
 * Counts are exact while a feature has at most EXACT_DISTINCT_LIMIT distinct values. Beyond
 * that, memory is bounded by the Misra–Gries summary (FrequentValues): each kept count may be
 * low by at most n/(SUMMARY_SIZE + 1) — under 0.01% of the rows — and the mass it loses goes
 * to OTHER_CATEGORY, so the counts still add up to the feature's count; `distinct` becomes an
 * estimate (k-minimum-values, about 3% relative error).
 */
import { DataValidationError, InvalidInputError } from './errors';
import { RunningMoments, Reservoir, binCounts, decileEdges, deriveSeed } from './stats';
import {
  BASELINE_SAMPLE_SIZE,
  BASELINE_TOP_CATEGORIES,
  MAX_DISTINCT_FOR_CATEGORICAL,
  OTHER_CATEGORY,
  type Baseline,
  type CategoricalProfile,
  type FeatureProfile,
  type NumericProfile,
} from './types';

/** Seed of the reservoir samples when none is given: the same data always gives the same baseline. */
export const DEFAULT_PROFILE_SEED = 1_729;

/** Counts are exact up to this many distinct values of one feature. */
export const EXACT_DISTINCT_LIMIT = 20_000;
/** Values the bounded summary keeps once a feature has more distinct values than EXACT_DISTINCT_LIMIT. */
export const SUMMARY_SIZE = 10_000;

export interface ProfileFeature {
  readonly name: string;
  readonly declared: 'numeric' | 'categorical';
}

export type ProfileValue = number | string | undefined;

export class BaselineProfiler {
  private readonly accumulators: Array<NumericAccumulator | CategoricalAccumulator>;
  private readonly seed: number;
  private rows = 0;

  constructor(
    private readonly features: readonly ProfileFeature[],
    options: { seed?: number; sampleSize?: number } = {},
  ) {
    if (features.length === 0) throw new InvalidInputError('a baseline needs at least one feature');
    const names = new Set<string>();
    for (const f of features) {
      if (names.has(f.name)) throw new InvalidInputError(`feature "${f.name}" is listed twice`, { context: { feature: f.name } });
      names.add(f.name);
    }
    this.seed = options.seed ?? DEFAULT_PROFILE_SEED;
    const sampleSize = options.sampleSize ?? BASELINE_SAMPLE_SIZE;
    this.accumulators = features.map((f, i) =>
      f.declared === 'categorical'
        ? new CategoricalAccumulator(f.name)
        : new NumericAccumulator(f.name, new Reservoir(sampleSize, deriveSeed(this.seed, i))),
    );
  }

  /** One row's values in feature order: numbers for numeric features, strings for categorical; undefined or "" = missing. */
  add(values: ReadonlyArray<ProfileValue>): void {
    this.rows += 1;
    if (values.length !== this.features.length) {
      throw new InvalidInputError(`row ${this.rows} has ${values.length} values, expected ${this.features.length} (one per feature)`, {
        context: { row: this.rows },
      });
    }
    for (let i = 0; i < values.length; i++) this.accumulators[i].add(values[i], this.rows);
  }

  finish(meta: { runId: string; createdAt: string }): Baseline {
    return {
      version: 1,
      runId: meta.runId,
      createdAt: meta.createdAt,
      rows: this.rows,
      seed: this.seed,
      features: this.accumulators.map((a) => a.finish()),
    };
  }
}

class NumericAccumulator {
  private readonly moments = new RunningMoments();
  private missing = 0;
  /** Value counts while there are at most MAX_DISTINCT_FOR_CATEGORICAL distinct values, then dropped. */
  private small: Map<number, number> | undefined = new Map();

  constructor(
    private readonly name: string,
    private readonly reservoir: Reservoir,
  ) {}

  add(raw: ProfileValue, row: number): void {
    const value = toNumber(raw, this.name, row);
    if (value === undefined) {
      this.missing += 1;
      return;
    }
    this.moments.add(value);
    this.reservoir.add(value);
    if (this.small) {
      this.small.set(value, (this.small.get(value) ?? 0) + 1);
      if (this.small.size > MAX_DISTINCT_FOR_CATEGORICAL) this.small = undefined;
    }
  }

  finish(): FeatureProfile {
    const m = this.moments;
    if (this.small) {
      const counts = [...this.small].map(([value, count]) => [String(value), count] as const);
      return categoricalProfile(this.name, m.count, this.missing, this.small.size, counts);
    }
    const sample = Array.from(this.reservoir.sorted());
    const edges = decileEdges(sample);
    const profile: NumericProfile = {
      name: this.name,
      type: 'numeric',
      count: m.count,
      missing: this.missing,
      mean: m.mean,
      std: m.std,
      min: m.min,
      max: m.max,
      sample,
      deciles: { edges, counts: binCounts(edges, sample) },
    };
    return profile;
  }
}

class CategoricalAccumulator {
  private readonly values = new FrequentValues(EXACT_DISTINCT_LIMIT, SUMMARY_SIZE);
  private missing = 0;

  constructor(private readonly name: string) {}

  add(raw: ProfileValue, _row: number): void {
    if (raw === undefined || raw === '') {
      this.missing += 1;
      return;
    }
    this.values.add(typeof raw === 'number' ? String(raw) : raw);
  }

  finish(): FeatureProfile {
    return categoricalProfile(this.name, this.values.total, this.missing, this.values.distinct(), [...this.values.entries()]);
  }
}

function categoricalProfile(
  name: string,
  count: number,
  missing: number,
  distinct: number,
  entries: ReadonlyArray<readonly [string, number]>,
): CategoricalProfile {
  const top = [...entries].sort(byCountThenValue).slice(0, BASELINE_TOP_CATEGORIES);
  const counts: Record<string, number> = {};
  let kept = 0;
  for (const [value, n] of top) {
    counts[value] = (counts[value] ?? 0) + n;
    kept += n;
  }
  if (count > kept) counts[OTHER_CATEGORY] = (counts[OTHER_CATEGORY] ?? 0) + count - kept;
  return { name, type: 'categorical', count, missing, distinct, counts };
}

/** Most frequent first; ties by value so the result does not depend on arrival order. */
export function byCountThenValue(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** A number from a profile value; undefined when missing (also NaN). Throws on anything else that is not finite. */
function toNumber(raw: ProfileValue, feature: string, row: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') {
    if (Number.isNaN(raw)) return undefined;
    if (Number.isFinite(raw)) return raw;
  } else {
    const text = raw.trim();
    if (text === '') return undefined;
    const value = Number(text);
    if (Number.isFinite(value)) return value;
  }
  throw new DataValidationError(`row ${row}, feature "${feature}": expected a number, got ${JSON.stringify(raw)}`, {
    context: { row, feature },
  });
}

/**
 * Counts of string values in bounded memory. Exact while there are at most `exactLimit`
 * distinct values; past that, a Misra–Gries summary: whenever more than `exactLimit` values
 * are tracked, the (summarySize+1)-th largest count is subtracted from every count and
 * values that reach 0 are dropped. A kept count is then low by at most total/(summarySize+1),
 * and any value with a share above 1/(summarySize+1) is kept. `total` stays exact.
 * The number of distinct values becomes a k-minimum-values estimate from then on.
 */
export class FrequentValues {
  private readonly counts = new Map<string, number>();
  private sketch: DistinctSketch | undefined;
  total = 0;

  constructor(
    private readonly exactLimit: number,
    private readonly summarySize: number,
  ) {
    if (summarySize >= exactLimit) throw new RangeError('summarySize must be below exactLimit');
  }

  /** Whether the counts are exact (no value was ever dropped or reduced). */
  get exact(): boolean {
    return this.sketch === undefined;
  }

  add(value: string, times = 1): void {
    this.total += times;
    this.sketch?.add(value);
    this.counts.set(value, (this.counts.get(value) ?? 0) + times);
    if (this.counts.size > this.exactLimit) this.compact();
  }

  /** Count of a value as tracked (exact, or a lower bound once compacted). */
  get(value: string): number {
    return this.counts.get(value) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }

  /** Distinct values seen: exact, or estimated once compacted. */
  distinct(): number {
    return this.sketch ? Math.max(this.sketch.estimate(), this.counts.size) : this.counts.size;
  }

  private compact(): void {
    if (!this.sketch) {
      this.sketch = new DistinctSketch(1024);
      for (const key of this.counts.keys()) this.sketch.add(key);
    }
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const cut = sorted[this.summarySize];
    for (const [key, count] of this.counts) {
      if (count <= cut) this.counts.delete(key);
      else this.counts.set(key, count - cut);
    }
  }
}

/**
 * k-minimum-values estimate of a number of distinct strings: keep the k smallest distinct
 * 53-bit hashes; with u the largest of them scaled to [0, 1), distinct ≈ (k − 1)/u.
 */
class DistinctSketch {
  private readonly heap: number[] = []; // max-heap of the k smallest hashes
  private readonly members = new Set<number>();

  constructor(private readonly k: number) {}

  add(value: string): void {
    const h = hash53(value);
    if (this.members.has(h)) return;
    if (this.heap.length < this.k) {
      this.members.add(h);
      this.push(h);
    } else if (h < this.heap[0]) {
      this.members.delete(this.heap[0]);
      this.members.add(h);
      this.heap[0] = h;
      this.siftDown(0);
    }
  }

  estimate(): number {
    if (this.heap.length < this.k) return this.heap.length;
    return Math.round((this.k - 1) / (this.heap[0] / 2 ** 53));
  }

  private push(h: number): void {
    const heap = this.heap;
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] >= heap[i]) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < heap.length && heap[l] > heap[largest]) largest = l;
      if (r < heap.length && heap[r] > heap[largest]) largest = r;
      if (largest === i) return;
      [heap[largest], heap[i]] = [heap[i], heap[largest]];
      i = largest;
    }
  }
}

const { imul } = Math; // a local binding: a global lookup of `Math` is slow inside vm contexts (jest)

/** cyrb53: a fast 53-bit string hash with good dispersion. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = imul(h1 ^ ch, 2654435761);
    h2 = imul(h2 ^ ch, 1597334677);
  }
  h1 = imul(h1 ^ (h1 >>> 16), 2246822507) ^ imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = imul(h2 ^ (h2 >>> 16), 2246822507) ^ imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
