import { BaselineProfiler, DEFAULT_PROFILE_SEED, EXACT_DISTINCT_LIMIT, FrequentValues, SUMMARY_SIZE } from '../../../lambdas/core/profile';
import { DataValidationError, InvalidInputError } from '../../../lambdas/core/errors';
import { BASELINE_SAMPLE_SIZE, OTHER_CATEGORY, type CategoricalProfile, type NumericProfile } from '../../../lambdas/core/types';
import { normalGenerator } from '../../helpers/capture';

const META = { runId: 'run-1', createdAt: '2024-05-01T00:00:00.000Z' };

function profileOf(values: Array<number | string | undefined>, declared: 'numeric' | 'categorical' = 'numeric', seed?: number) {
  const profiler = new BaselineProfiler([{ name: 'x', declared }], { seed });
  for (const v of values) profiler.add([v]);
  return profiler.finish(META);
}

describe('profile: numeric features', () => {
  it('records count, missing, mean, population std, min and max', () => {
    const baseline = profileOf([1, 2, undefined, 3, 4, 5, '', 6, 7, 8, 9, Number.NaN]);
    const f = baseline.features[0] as NumericProfile;
    expect(f).toMatchObject({ name: 'x', type: 'numeric', count: 9, missing: 3, min: 1, max: 9 });
    // By hand: mean 5, population variance (n² − 1)/12 = 80/12.
    expect(f.mean).toBeCloseTo(5, 12);
    expect(f.std).toBeCloseTo(Math.sqrt(80 / 12), 12);
    expect(baseline).toMatchObject({ version: 1, runId: 'run-1', createdAt: META.createdAt, rows: 12 });
  });

  it('keeps every value, sorted, when there are fewer than the sample size', () => {
    const f = profileOf([9, 1, 8, 2, 7, 3, 6, 4, 5, 0]).features[0] as NumericProfile;
    expect(f.sample).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('computes decile edges by linear interpolation and the sample count of each (e_{i-1}, e_i] bin', () => {
    const f = profileOf(Array.from({ length: 11 }, (_, i) => i * 10)).features[0] as NumericProfile;
    // 11 values 0..100: the q-quantile is 100q exactly.
    expect(f.deciles.edges.map((e) => Number(e.toFixed(9)))).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // 0 and 10 fall in (−∞, 10]; 100 in (90, ∞).
    expect(f.deciles.counts).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('bounds the sample at BASELINE_SAMPLE_SIZE and gives the same sample for the same data and seed', () => {
    const values = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 50_021);
    const a = profileOf(values).features[0] as NumericProfile;
    const b = profileOf(values).features[0] as NumericProfile;
    const c = profileOf(values, 'numeric', 99).features[0] as NumericProfile;
    expect(a.sample).toHaveLength(BASELINE_SAMPLE_SIZE);
    expect(a.sample).toEqual(b.sample);
    expect(c.sample).not.toEqual(a.sample);
    expect(a.count).toBe(50_000);
  });

  it('draws a sample that represents the stream (mean and std of N(3, 2²) within a few standard errors)', () => {
    const next = normalGenerator(11, 3, 2);
    const f = profileOf(Array.from({ length: 100_000 }, next)).features[0] as NumericProfile;
    const sampleMean = f.sample.reduce((a, b) => a + b, 0) / f.sample.length;
    expect(Math.abs(f.mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(f.std - 2)).toBeLessThan(0.03);
    expect(Math.abs(sampleMean - 3)).toBeLessThan(0.1); // standard error 2/√10000 = 0.02
  });

  it('treats a numeric feature with at most 5 distinct values as categorical, keyed by String(number)', () => {
    const f = profileOf([0, 1, 1, 2.5, 1, -0, undefined, 3, 4]).features[0] as CategoricalProfile;
    expect(f).toEqual({ name: 'x', type: 'categorical', count: 8, missing: 1, distinct: 5, counts: { '0': 2, '1': 3, '2.5': 1, '3': 1, '4': 1 } });
  });

  it('keeps a numeric feature with 6 distinct values numeric', () => {
    expect(profileOf([0, 1, 2, 3, 4, 5]).features[0].type).toBe('numeric');
  });

  it('accepts numeric text and rejects text that is not a number, naming the row and feature', () => {
    expect((profileOf(['1.5', ' 2.5 ', '1e1', '4', '5', '6']).features[0] as NumericProfile).max).toBe(10);
    expect(() => profileOf([1, 'abc'])).toThrow(DataValidationError);
    expect(() => profileOf([1, 'abc'])).toThrow('row 2, feature "x": expected a number, got "abc"');
    expect(() => profileOf([Infinity])).toThrow(DataValidationError);
  });
});

describe('profile: categorical features', () => {
  it('counts every value exactly when there are at most 50', () => {
    const f = profileOf(['a', 'b', 'a', undefined, '', 'c', 'a'], 'categorical').features[0] as CategoricalProfile;
    expect(f).toEqual({ name: 'x', type: 'categorical', count: 5, missing: 2, distinct: 3, counts: { a: 3, b: 1, c: 1 } });
  });

  it('keeps the top 50 values and sums the rest under __OTHER__', () => {
    const values: string[] = [];
    for (let v = 0; v < 80; v++) for (let k = 0; k < 100 - v; k++) values.push(`v${v}`);
    const f = profileOf(values, 'categorical').features[0] as CategoricalProfile;
    expect(Object.keys(f.counts)).toHaveLength(51);
    expect(f.counts.v0).toBe(100);
    expect(f.counts.v49).toBe(51);
    expect(f.counts.v50).toBeUndefined();
    // v50..v79 have 50..21 rows: 30 values, sum 1065.
    expect(f.counts[OTHER_CATEGORY]).toBe(1065);
    expect(f.distinct).toBe(80);
    expect(Object.values(f.counts).reduce((a, b) => a + b, 0)).toBe(f.count);
  });

  it('breaks count ties by value so the top 50 does not depend on row order', () => {
    const values = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const forward = profileOf(values, 'categorical').features[0] as CategoricalProfile;
    const backward = profileOf([...values].reverse(), 'categorical').features[0] as CategoricalProfile;
    expect(forward.counts).toEqual(backward.counts);
    expect(forward.counts.k00).toBe(1);
    expect(forward.counts[OTHER_CATEGORY]).toBe(10);
  });

  it('bounds memory when the distinct count explodes, keeping frequent values within the documented error', () => {
    // 150,000 unique ids plus three frequent values.
    const values: string[] = [];
    for (let i = 0; i < 150_000; i++) {
      values.push(`id-${i}`);
      if (i % 3 === 0) values.push('frequent-a');
      if (i % 5 === 0) values.push('frequent-b');
      if (i % 10 === 0) values.push('frequent-c');
    }
    const f = profileOf(values, 'categorical').features[0] as CategoricalProfile;
    const bound = values.length / (SUMMARY_SIZE + 1);
    expect(Math.abs(f.counts['frequent-a'] - 50_000)).toBeLessThanOrEqual(bound);
    expect(Math.abs(f.counts['frequent-b'] - 30_000)).toBeLessThanOrEqual(bound);
    expect(Math.abs(f.counts['frequent-c'] - 15_000)).toBeLessThanOrEqual(bound);
    expect(Object.values(f.counts).reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(Math.abs(f.distinct / 150_003 - 1)).toBeLessThan(0.1);
  });

  it('never tracks more than the exact limit of values', () => {
    const summary = new FrequentValues(EXACT_DISTINCT_LIMIT, SUMMARY_SIZE);
    for (let i = 0; i < 3 * EXACT_DISTINCT_LIMIT; i++) summary.add(`u${i}`);
    expect([...summary.entries()].length).toBeLessThanOrEqual(EXACT_DISTINCT_LIMIT);
    expect(summary.exact).toBe(false);
    expect(summary.total).toBe(3 * EXACT_DISTINCT_LIMIT);
  });
});

describe('profile: rows', () => {
  it('profiles several features in order, each with its own sample', () => {
    const profiler = new BaselineProfiler([
      { name: 'age', declared: 'numeric' },
      { name: 'city', declared: 'categorical' },
      { name: 'score', declared: 'numeric' },
    ]);
    for (let i = 0; i < 100; i++) profiler.add([i, i % 2 ? 'Oslo' : 'Rome', i / 10]);
    const baseline = profiler.finish(META);
    expect(baseline.features.map((f) => [f.name, f.type])).toEqual([
      ['age', 'numeric'],
      ['city', 'categorical'],
      ['score', 'numeric'],
    ]);
    expect(baseline.rows).toBe(100);
    expect(baseline.seed).toBe(DEFAULT_PROFILE_SEED);
  });

  it('rejects a row whose width differs from the feature list, naming the row', () => {
    const profiler = new BaselineProfiler([
      { name: 'a', declared: 'numeric' },
      { name: 'b', declared: 'numeric' },
    ]);
    profiler.add([1, 2]);
    expect(() => profiler.add([1])).toThrow(InvalidInputError);
    expect(() => profiler.add([1])).toThrow(/row 3 has 1 values, expected 2/);
  });

  it('rejects an empty or duplicated feature list', () => {
    expect(() => new BaselineProfiler([])).toThrow(InvalidInputError);
    expect(
      () =>
        new BaselineProfiler([
          { name: 'a', declared: 'numeric' },
          { name: 'a', declared: 'categorical' },
        ]),
    ).toThrow('feature "a" is listed twice');
  });
});
