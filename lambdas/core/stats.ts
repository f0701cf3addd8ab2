/**
 * Statistics behind drift detection (DESIGN.md section 4): a seeded PRNG and reservoir, the
 * two-sample Kolmogorov–Smirnov test, Pearson's chi-square test, Jensen–Shannon distance,
 * PSI over baseline deciles, Wasserstein-1, L∞ and Benjamini–Hochberg adjustment.
 *
 * Every function takes plain arrays and is exact (no approximation beyond floating point);
 * the tests check them against closed forms and published tables to 1e-6.
 */

/** A proportion of 0 on either side of a PSI term is replaced by this. */
export const PSI_EPSILON = 1e-4;

/** Wasserstein effects are divided by the baseline's std, never by less than this. */
export const MIN_STD = 1e-3;

// Hot loops use these local bindings: a global lookup of `Math` is slow inside vm contexts (jest).
const { imul, floor, abs, min, max } = Math;

/** mulberry32: a small seeded 32-bit generator; returns uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for one stream out of many (e.g. one feature), so streams do not share draws. */
export function deriveSeed(seed: number, stream: number): number {
  return (imul((seed ^ 0x85ebca6b) >>> 0, 0x9e3779b1) + imul(stream + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * A uniform sample of at most `capacity` numbers from a stream (Algorithm R): after n values,
 * each one is in the sample with probability capacity/n. Memory is bounded by the capacity.
 */
export class Reservoir {
  private values: Float64Array;
  private size = 0;
  private seen = 0;
  private readonly random: () => number;

  constructor(
    readonly capacity: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.values = new Float64Array(Math.min(capacity, 1024));
  }

  /** Values offered so far. */
  get count(): number {
    return this.seen;
  }

  add(value: number): void {
    this.seen += 1;
    if (this.size < this.capacity) {
      if (this.size === this.values.length) this.grow();
      this.values[this.size++] = value;
      return;
    }
    const j = floor(this.random() * this.seen);
    if (j < this.capacity) this.values[j] = value;
  }

  /** The sample, sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.values.slice(0, this.size).sort();
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.capacity, this.values.length * 2));
    next.set(this.values);
    this.values = next;
  }
}

/** The q-quantile of an ascending array, by linear interpolation between closest ranks (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Decile edges e1..e9 of an ascending sample. */
export function decileEdges(sorted: ArrayLike<number>): number[] {
  return [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => quantileSorted(sorted, i / 10));
}

/**
 * Index of the bin that holds x, for bins (e_{i-1}, e_i] with open tails: 0 for x ≤ e1,
 * edges.length for x > e_last. Equals the number of edges strictly below x.
 */
export function binIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of values per bin (edges.length + 1 bins). */
export function binCounts(edges: readonly number[], values: Iterable<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of values) counts[binIndex(edges, x)] += 1;
  return counts;
}

/** Counts scaled to proportions; all zeros when the total is 0. */
export function proportions(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/**
 * Population stability index Σ (a − e)·ln(a/e) over matching bins, expected (baseline) vs
 * actual (current) proportions; a proportion of 0 on either side is replaced by PSI_EPSILON.
 */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  assertSameLength(expected, actual, 'psi');
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] > 0 ? expected[i] : PSI_EPSILON;
    const a = actual[i] > 0 ? actual[i] : PSI_EPSILON;
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/** Jensen–Shannon distance with log base 2 (in [0, 1]) between two count or proportion vectors. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  assertSameLength(p, q, 'jensenShannonDistance');
  const pp = proportions(p);
  const qq = proportions(q);
  let divergence = 0;
  for (let i = 0; i < pp.length; i++) {
    const m = (pp[i] + qq[i]) / 2;
    if (pp[i] > 0) divergence += 0.5 * pp[i] * Math.log2(pp[i] / m);
    if (qq[i] > 0) divergence += 0.5 * qq[i] * Math.log2(qq[i] / m);
  }
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

/** Largest absolute difference between the frequencies of two count or proportion vectors. */
export function lInfinity(p: readonly number[], q: readonly number[]): number {
  assertSameLength(p, q, 'lInfinity');
  const pp = proportions(p);
  const qq = proportions(q);
  let max = 0;
  for (let i = 0; i < pp.length; i++) max = Math.max(max, Math.abs(pp[i] - qq[i]));
  return max;
}

/** Wasserstein-1 distance ∫|F_a − F_b| dx between the empirical distributions of two ascending samples. */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('wasserstein1 of an empty sample');
  let i = 0;
  let j = 0;
  let previous = Math.min(a[0], b[0]);
  let total = 0;
  while (i < n || j < m) {
    const takeA = j >= m || (i < n && a[i] <= b[j]);
    const x = takeA ? a[i] : b[j];
    total += abs(i / n - j / m) * (x - previous);
    previous = x;
    if (takeA) i++;
    else j++;
  }
  return total;
}

export interface TestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-sample Kolmogorov–Smirnov test on ascending samples: D = sup|F_a − F_b| and the
 * asymptotic p-value Q(√n_e·D) with n_e = n·m/(n+m).
 */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('ksTest of an empty sample');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    d = max(d, abs(i / n - j / m));
  }
  const effectiveN = (n * m) / (n + m);
  return { statistic: d, pValue: kolmogorovQ(Math.sqrt(effectiveN) * d) };
}

/**
 * Survival function of the Kolmogorov distribution, Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
 * For small λ the alternating series converges slowly, so the equivalent theta-function form
 * 1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)} is summed instead; both are exact.
 */
export function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const c = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k < 100; k++) {
      const term = Math.exp(-(2 * k - 1) * (2 * k - 1) * c);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * sum);
  }
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * Math.abs(sum)) break;
  }
  return clamp01(2 * sum);
}

/** The result of a chi-square test, with its degrees of freedom. */
export interface ChiSquareResult extends TestResult {
  readonly degreesOfFreedom: number;
}

/**
 * Pearson's chi-square test of homogeneity on the 2×k table (row a, row b); categories empty
 * in both rows are dropped; no continuity correction; p from χ² with k−1 degrees of freedom.
 * Fewer than two categories left: statistic 0, p 1.
 */
export function chiSquareTest(a: readonly number[], b: readonly number[]): ChiSquareResult {
  assertSameLength(a, b, 'chiSquareTest');
  const kept: Array<[number, number]> = [];
  for (let i = 0; i < a.length; i++) if (a[i] + b[i] > 0) kept.push([a[i], b[i]]);
  const totalA = kept.reduce((s, [x]) => s + x, 0);
  const totalB = kept.reduce((s, [, y]) => s + y, 0);
  const total = totalA + totalB;
  if (kept.length < 2 || totalA === 0 || totalB === 0) return { statistic: 0, pValue: 1, degreesOfFreedom: 0 };
  let statistic = 0;
  for (const [x, y] of kept) {
    const column = x + y;
    const expectedA = (totalA * column) / total;
    const expectedB = (totalB * column) / total;
    statistic += (x - expectedA) ** 2 / expectedA + (y - expectedB) ** 2 / expectedB;
  }
  const degreesOfFreedom = kept.length - 1;
  return { statistic, pValue: chiSquareSurvival(statistic, degreesOfFreedom), degreesOfFreedom };
}

/** P(X ≥ x) for X ~ χ²(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (!(x > 0)) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 coefficients; relative error below 1e-14). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = LANCZOS;
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < c.length; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): by the series for P when
 * x < a + 1 (then Q = 1 − P), else by the continued fraction (modified Lentz), which keeps
 * full relative precision for tiny tail probabilities.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`gamma shape must be positive, got ${a}`);
  if (x <= 0) return 1;
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return clamp01(1 - sum * Math.exp(logPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return clamp01(Math.exp(logPrefix) * h);
}

/**
 * Benjamini–Hochberg adjusted p-values, in the input order: p_(i)·m/i made monotone from the
 * largest down and capped at 1.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const [p, index] = order[rank - 1];
    running = Math.min(running, (p * m) / rank);
    adjusted[index] = running;
  }
  return adjusted;
}

/**
 * Running count, mean, population variance, min and max (Welford), numerically stable in one pass.
 */
export class RunningMoments {
  count = 0;
  mean = 0;
  min = Infinity;
  max = -Infinity;
  private m2 = 0;

  add(x: number): void {
    this.count += 1;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** Population standard deviation (0 for fewer than two values). */
  get std(): number {
    return this.count > 1 ? Math.sqrt(this.m2 / this.count) : 0;
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: vectors differ in length (${a.length} and ${b.length})`);
}
