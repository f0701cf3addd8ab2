import { InvalidInputError } from '../../../lambdas/core/errors';
import { BaselineProfiler, type ProfileFeature } from '../../../lambdas/core/profile';
import {
  CurrentWindow,
  DEFAULT_DRIFT_SETTINGS,
  compareToBaseline,
  parseBaseline,
  type DriftSettings,
  type WindowValue,
} from '../../../lambdas/core/drift';
import { wasserstein1 } from '../../../lambdas/core/stats';
import type { Baseline, NumericProfile } from '../../../lambdas/core/types';
import { categoricalGenerator, normalGenerator } from '../../helpers/capture';

const META = { runId: 'champion-run', createdAt: '2024-05-01T00:00:00.000Z' };
const FEATURES: ProfileFeature[] = [
  { name: 'income', declared: 'numeric' },
  { name: 'city', declared: 'categorical' },
];
const CITIES = ['Oslo', 'Rome', 'Lima', 'Pune'];
const WEIGHTS = [0.4, 0.3, 0.2, 0.1];

function baselineOf(features: ProfileFeature[], rows: Iterable<WindowValue[]>): Baseline {
  const profiler = new BaselineProfiler(features);
  for (const row of rows) profiler.add(row);
  return profiler.finish(META);
}

function* syntheticRows(n: number, seed: number, shift = 0, weights = WEIGHTS): Generator<WindowValue[]> {
  const income = normalGenerator(seed, 50 + shift * 10, 10);
  const city = categoricalGenerator(seed + 1, CITIES, weights);
  for (let i = 0; i < n; i++) yield [income(), city()];
}

function windowOf(baseline: Baseline, rows: Iterable<WindowValue[]>): CurrentWindow {
  const window = new CurrentWindow(baseline, { start: '2024-05-02T10:00:00.000Z', end: '2024-05-02T11:00:00.000Z' });
  for (const row of rows) window.add(row);
  return window;
}

const SETTINGS: DriftSettings = DEFAULT_DRIFT_SETTINGS;

describe('drift: large samples', () => {
  const baseline = baselineOf(FEATURES, syntheticRows(100_000, 1));

  it('does not drift on 200,000 rows drawn from the baseline distribution', () => {
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(200_000, 2)), SETTINGS);
    expect(report.status).toBe('OK');
    expect(report.drifted).toBe(false);
    expect(report.driftedFeatures).toEqual([]);
    for (const f of report.features) expect(f.effect).toBeLessThan(0.05);
    expect(report.rows).toEqual({ baseline: 100_000, current: 200_000 });
  });

  it('detects a 0.5σ mean shift of a numeric feature, with effect ≈ 0.5', () => {
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(200_000, 3, 0.5)), SETTINGS);
    const income = report.features.find((f) => f.name === 'income')!;
    expect(income.drifted).toBe(true);
    expect(income.effect).toBeCloseTo(0.5, 1);
    expect(income.adjustedPValue).toBeLessThan(1e-10);
    expect(income.psi).toBeGreaterThan(0.2);
    // One of two features drifted: share 0.5 reaches the default 0.5.
    expect(report).toMatchObject({ status: 'DRIFT', drifted: true, driftedShare: 0.5, driftedFeatures: ['income'] });
  });

  it('detects a changed category mix with the chi-square test and the JS distance', () => {
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(20_000, 4, 0, [0.1, 0.2, 0.3, 0.4])), SETTINGS);
    const city = report.features.find((f) => f.name === 'city')!;
    expect(city).toMatchObject({ type: 'categorical', method: 'chi2', drifted: true, degreesOfFreedom: 3 });
    expect(city.effect).toBeGreaterThan(0.2);
    expect(city.linf).toBeCloseTo(0.3, 1);
  });

  it('keeps the current sample bounded however many rows arrive', () => {
    const window = new CurrentWindow(baseline, { sampleSize: 1_000 });
    for (const row of syntheticRows(20_000, 5)) window.add(row);
    const income = window.feature(0);
    expect(income.type === 'numeric' && income.reservoir.sorted().length).toBe(1_000);
    const report = compareToBaseline(baseline, window, SETTINGS);
    expect(report.features[0].values.current).toBe(20_000);
    expect(report.status).toBe('OK');
  });
});

describe('drift: decisions', () => {
  const baseline = baselineOf(FEATURES, syntheticRows(5_000, 10));

  it('reports INSUFFICIENT_DATA and never drift below minRows, even for a large shift', () => {
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(99, 11, 3)), SETTINGS);
    expect(report.status).toBe('INSUFFICIENT_DATA');
    expect(report.drifted).toBe(false);
    expect(report.features.every((f) => !f.drifted)).toBe(true);
    expect(report.features[0].effect).toBeGreaterThan(1);
  });

  it('calls dataset drift when a critical feature drifts, below the drifted share', () => {
    const settings = { ...SETTINGS, driftedShare: 1, criticalFeatures: ['income'] };
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(2_000, 12, 1)), settings);
    expect(report.driftedShare).toBe(0.5);
    expect(report).toMatchObject({ status: 'DRIFT', drifted: true });
  });

  it('needs the effect to reach the threshold, not just a significant p-value', () => {
    const settings = { ...SETTINGS, featureThreshold: 2 };
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(2_000, 13, 1)), settings);
    expect(report.features[0].adjustedPValue).toBeLessThan(0.05);
    expect(report.features[0].drifted).toBe(false);
    expect(report.status).toBe('OK');
  });

  it('adjusts p-values with Benjamini–Hochberg across the features of the window', () => {
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(500, 14)), SETTINGS);
    const [a, b] = report.features;
    const m = 2;
    const sorted = [a.pValue, b.pValue].sort((x, y) => x - y);
    const expectedSmallest = Math.min((sorted[0] * m) / 1, sorted[1]);
    expect(Math.min(a.adjustedPValue, b.adjustedPValue)).toBeCloseTo(expectedSmallest, 12);
    expect(Math.max(a.adjustedPValue, b.adjustedPValue)).toBeCloseTo(sorted[1], 12);
  });

  it('computes the numeric effect as Wasserstein-1 between the baseline sample and the window over the baseline std', () => {
    const small = baselineOf([{ name: 'x', declared: 'numeric' }], [[1], [2], [3], [4], [5], [6], [7], [8]]);
    const window = windowOf(small, [[2], [4], [6], [8], [10], [12], [14], [16]]);
    const report = compareToBaseline(small, window, { ...SETTINGS, minRows: 1 });
    const profile = small.features[0] as NumericProfile;
    const expected = wasserstein1([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 6, 8, 10, 12, 14, 16]) / profile.std;
    expect(report.features[0].effect).toBeCloseTo(expected, 12);
    // By hand: W1 = mean difference 4.5 (the CDFs never cross); std = √(63/12).
    expect(report.features[0].effect).toBeCloseTo(4.5 / Math.sqrt(63 / 12), 12);
  });
});

describe('drift: categorical features', () => {
  const twoValues = (): Baseline => {
    const rows: WindowValue[][] = [];
    for (let i = 0; i < 1000; i++) rows.push([i < 500 ? 'a' : 'b']);
    return baselineOf([{ name: 'c', declared: 'categorical' }], rows);
  };

  it('matches DESIGN.md reference values for .5/.5 vs .9/.1: JS 0.38314, L∞ 0.4, PSI 0.87889', () => {
    const baseline = twoValues();
    const rows: WindowValue[][] = [];
    for (let i = 0; i < 1000; i++) rows.push([i < 900 ? 'a' : 'b']);
    const f = compareToBaseline(baseline, windowOf(baseline, rows), SETTINGS).features[0];
    expect(f.effect).toBeCloseTo(0.38313587985994224, 6);
    expect(f.linf).toBeCloseTo(0.4, 12);
    expect(f.psi).toBeCloseTo(0.8788898309344878, 6);
    expect(f.drifted).toBe(true);
  });

  it('reports categories never seen in the baseline as a schema anomaly and tests them as their own bucket', () => {
    const baseline = twoValues();
    const rows: WindowValue[][] = [];
    for (let i = 0; i < 1000; i++) rows.push([i < 450 ? 'a' : i < 900 ? 'b' : i < 980 ? 'purple' : 'teal']);
    const report = compareToBaseline(baseline, windowOf(baseline, rows), SETTINGS);
    const f = report.features[0];
    expect(f.unseenCategories).toEqual([
      { value: 'purple', count: 80 },
      { value: 'teal', count: 20 },
    ]);
    expect(f.unseenRows).toBe(100);
    expect(f.degreesOfFreedom).toBe(2);
    expect(report.anomalies).toEqual(['feature "c": 2 values never seen in the baseline, in 100 rows (e.g. "purple", "teal")']);
  });

  it('counts values outside the top 50 as __OTHER__ without calling them unseen', () => {
    const rows: WindowValue[][] = [];
    for (let v = 0; v < 60; v++) for (let k = 0; k < 100 - v; k++) rows.push([`v${v}`]);
    const baseline = baselineOf([{ name: 'c', declared: 'categorical' }], rows);
    const window = windowOf(baseline, [...rows.slice(0, 200), ...Array.from({ length: 50 }, () => ['brand-new'])]);
    const report = compareToBaseline(baseline, window, SETTINGS);
    expect(report.features[0].unseenCategories).toEqual([]);
    expect(report.anomalies).toEqual([]);
  });

  it('matches numbers of a numeric feature profiled as categories by their canonical text', () => {
    const baseline = baselineOf(
      [{ name: 'rooms', declared: 'numeric' }],
      Array.from({ length: 300 }, (_, i) => [i % 3]),
    );
    expect(baseline.features[0].type).toBe('categorical');
    const window = windowOf(baseline, Array.from({ length: 300 }, (_, i) => [['0.0', '1', 2][i % 3]]));
    const f = compareToBaseline(baseline, window, SETTINGS).features[0];
    expect(f.unseenRows).toBe(0);
    expect(f.effect).toBeCloseTo(0, 12);
    expect(f.pValue).toBeCloseTo(1, 12);
  });
});

describe('drift: missing and invalid values', () => {
  const baseline = baselineOf(
    FEATURES,
    Array.from({ length: 1000 }, (_, i): WindowValue[] => [i % 10 === 0 ? undefined : (i * 37) % 101, i % 2 ? 'Oslo' : 'Rome']),
  );

  it('leaves missing values out of the tests and reports the missing rates', () => {
    const rows = Array.from({ length: 1000 }, (_, i): WindowValue[] => [i % 2 === 0 ? '' : String((i * 37) % 101), i % 4 === 0 ? undefined : i % 2 ? 'Oslo' : 'Rome']);
    const report = compareToBaseline(baseline, windowOf(baseline, rows), SETTINGS);
    const [income, city] = report.features;
    expect(income.missingRate).toEqual({ baseline: 0.1, current: 0.5 });
    expect(income.values).toEqual({ baseline: 900, current: 500 });
    expect(city.missingRate).toEqual({ baseline: 0, current: 0.25 });
    expect(report.anomalies).toEqual([
      'feature "income": missing rate 50.0% in the window, 10.0% in the baseline',
      'feature "city": missing rate 25.0% in the window, 0.0% in the baseline',
    ]);
  });

  it('counts values of a numeric feature that are not numbers and leaves them out', () => {
    const rows = Array.from({ length: 200 }, (_, i): WindowValue[] => [i < 10 ? 'n/a' : i, 'Oslo']);
    const report = compareToBaseline(baseline, windowOf(baseline, rows), SETTINGS);
    expect(report.features[0]).toMatchObject({ invalidValues: 10, values: { current: 190 } });
    expect(report.anomalies).toContain('feature "income": 10 values are not numbers');
  });

  it('does not test a feature whose window has no values (p = 1, effect 0)', () => {
    const rows = Array.from({ length: 200 }, (): WindowValue[] => [undefined, undefined]);
    const report = compareToBaseline(baseline, windowOf(baseline, rows), SETTINGS);
    expect(report.features.map((f) => [f.effect, f.pValue, f.drifted])).toEqual([
      [0, 1, false],
      [0, 1, false],
    ]);
    expect(report.status).toBe('OK');
  });

  it('rejects a row of the wrong width', () => {
    const window = new CurrentWindow(baseline);
    expect(() => window.add([1])).toThrow(InvalidInputError);
  });
});

describe('drift: report document', () => {
  it('carries the window, the champion run and the settings, and serializes without NaN', () => {
    const baseline = baselineOf(FEATURES, syntheticRows(1_000, 20));
    const report = compareToBaseline(baseline, windowOf(baseline, syntheticRows(300, 21)), SETTINGS);
    expect(report).toMatchObject({
      version: 1,
      window: { start: '2024-05-02T10:00:00.000Z', end: '2024-05-02T11:00:00.000Z' },
      championRunId: 'champion-run',
      settings: SETTINGS,
    });
    const json = JSON.stringify(report);
    expect(json).not.toContain('null');
    expect(Object.keys(report.features[0]).sort()).toEqual(
      [
        'adjustedPValue',
        'drifted',
        'effect',
        'invalidValues',
        'method',
        'missingRate',
        'name',
        'pValue',
        'psi',
        'statistic',
        'type',
        'unseenCategories',
        'unseenRows',
        'values',
      ].sort(),
    );
    expect(report.features[1]).toHaveProperty('linf');
  });
});

describe('drift: parsing baseline.json', () => {
  const baseline = baselineOf(FEATURES, syntheticRows(500, 30));

  it('round-trips a baseline written by the profiler', () => {
    expect(parseBaseline(JSON.stringify(baseline), 'baseline.json')).toEqual(baseline);
  });

  it('names the source and the field of a document that is not a baseline', () => {
    expect(() => parseBaseline('{', 'runs/r1/baseline.json')).toThrow(/^runs\/r1\/baseline.json: not JSON/);
    const broken = { ...baseline, features: [{ ...baseline.features[0], deciles: { edges: [1], counts: [] } }] };
    expect(() => parseBaseline(JSON.stringify(broken), 'b.json')).toThrow(/b.json: not a baseline: features.0.deciles.edges/);
  });
});
