/**
 * Reference values: DESIGN.md section 4 where stated; otherwise computed independently in
 * Python 3's standard library (math.erfc, math.lgamma, statistics.NormalDist — no numpy or
 * scipy on this machine), by closed forms named in each test, by hand, or from published tables
 * of the Kolmogorov and chi-square distributions. toBeCloseTo(x, 6) checks |error| < 5e-7.
 */
import {
  PSI_EPSILON,
  Reservoir,
  benjaminiHochberg,
  binCounts,
  binIndex,
  chiSquareSurvival,
  chiSquareTest,
  decileEdges,
  jensenShannonDistance,
  kolmogorovQ,
  ksTest,
  lInfinity,
  logGamma,
  proportions,
  psi,
  quantileSorted,
  regularizedGammaQ,
  RunningMoments,
  seededRandom,
  wasserstein1,
} from '../../../lambdas/core/stats';
import { normalQuantileSample } from '../../helpers/capture';

describe('stats: seeded randomness', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    for (const x of first) expect(x >= 0 && x < 1).toBe(true);
  });

  it('keeps every value while the reservoir is not full', () => {
    const r = new Reservoir(10, 1);
    for (const x of [5, 3, 9]) r.add(x);
    expect(Array.from(r.sorted())).toEqual([3, 5, 9]);
    expect(r.count).toBe(3);
  });

  it('samples uniformly once full: each decile of the stream gets about a tenth of the slots', () => {
    const r = new Reservoir(10_000, 3);
    for (let i = 0; i < 200_000; i++) r.add(i);
    const counts = binCounts([20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 140_000, 160_000, 180_000].map((e) => e - 0.5), r.sorted());
    // Binomial(10000, 0.1): sd = 30, so ±150 is a 5-sigma band.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});

describe('stats: moments and quantiles', () => {
  it('computes mean and population std in one pass', () => {
    const m = new RunningMoments();
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) m.add(x);
    // By hand: mean 5, population variance 4.
    expect(m.mean).toBeCloseTo(5, 12);
    expect(m.std).toBeCloseTo(2, 12);
    expect([m.min, m.max, m.count]).toEqual([2, 9, 8]);
  });

  it('interpolates quantiles linearly between closest ranks (numpy default)', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    expect(quantileSorted(sorted, 0.5)).toBe(6);
    expect(quantileSorted([1, 2, 3, 4], 0.1)).toBeCloseTo(1.3, 12); // h = 0.3
    expect(decileEdges([0, 10])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => expect.closeTo(x, 12)));
  });

  it('puts x in bin i when e_{i-1} < x ≤ e_i, with open tails', () => {
    const edges = [1, 2, 3];
    expect([-5, 1, 1.5, 2, 3, 3.01].map((x) => binIndex(edges, x))).toEqual([0, 0, 1, 1, 2, 3]);
  });
});

describe('stats: PSI', () => {
  it('matches DESIGN.md for p = [.5, .5] vs q = [.9, .1]: 0.87889', () => {
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.8788898309344878, 6);
  });

  it('is 0.2377 for N(0,1) vs N(0.5,1) over the population deciles (exact bin proportions)', () => {
    // Proportions of N(0.5,1) in the N(0,1) decile bins, from Python's statistics.NormalDist.
    const current = [
      0.0374111944, 0.052448224523, 0.062963651029, 0.072797610328, 0.082916858445, 0.094050892876, 0.107144998715,
      0.123948591924, 0.149078897332, 0.217239080427,
    ];
    expect(psi(new Array(10).fill(0.1), current)).toBeCloseTo(0.23774920468627575, 6);
  });

  it('is 0.2377 for large deterministic N(0,1) and N(0.5,1) samples binned on the sample deciles', () => {
    const baseline = normalQuantileSample(100_000);
    const current = normalQuantileSample(100_000, 0.5);
    const edges = decileEdges(baseline);
    const value = psi(proportions(binCounts(edges, baseline)), proportions(binCounts(edges, current)));
    // Sample deciles differ from the population's by O(1/n): 1e-4 is ample.
    expect(value).toBeCloseTo(0.2377492, 4);
  });

  it('replaces an empty proportion by 1e-4 on either side', () => {
    const expected = (0.5 - PSI_EPSILON) * Math.log(0.5 / PSI_EPSILON) + (0.5 - 1) * Math.log(0.5 / 1);
    expect(psi([0, 1], [0.5, 0.5])).toBeCloseTo(expected, 12);
  });
});

describe('stats: Jensen–Shannon distance and L∞', () => {
  it('matches DESIGN.md for p = [.5, .5] vs q = [.9, .1]: JS 0.38314, L∞ 0.4', () => {
    expect(jensenShannonDistance([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.38313587985994224, 6);
    expect(lInfinity([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.4, 12);
  });

  it('accepts counts as well as proportions', () => {
    expect(jensenShannonDistance([50, 50], [900, 100])).toBeCloseTo(0.38313587985994224, 6);
  });

  it('is 1 for disjoint supports and 0 for identical distributions', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([3, 1, 6], [3, 1, 6])).toBe(0);
  });

  it('matches an independent computation on three categories', () => {
    // Python: sqrt(0.5·KL(p‖m) + 0.5·KL(q‖m)) in log2 for p = [.2,.3,.5], q = [.5,.3,.2].
    expect(jensenShannonDistance([0.2, 0.3, 0.5], [0.5, 0.3, 0.2])).toBeCloseTo(0.30954095367714807, 6);
  });
});

describe('stats: Wasserstein-1', () => {
  it('is the shift between a sample and its translate', () => {
    expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
  });

  it('integrates the CDF gap for samples of different sizes', () => {
    // By hand: F_a − F_b = 2/3 − 1/3 on [0, 1), zero elsewhere.
    expect(wasserstein1([0, 0, 1], [0, 1, 1])).toBeCloseTo(1 / 3, 12);
    // By hand: a = {0, 2}, b = {1}: |F_a − F_b| = 1/2 on [0, 2).
    expect(wasserstein1([0, 2], [1])).toBeCloseTo(1, 12);
  });
});

describe('stats: Kolmogorov–Smirnov', () => {
  it('reproduces the Kolmogorov distribution quantiles from published tables', () => {
    // K^{-1}(0.90) = 1.2238478, K^{-1}(0.95) = 1.3580986, K^{-1}(0.99) = 1.6276236.
    expect(kolmogorovQ(1.2238478)).toBeCloseTo(0.1, 6);
    expect(kolmogorovQ(1.3580986)).toBeCloseTo(0.05, 6);
    expect(kolmogorovQ(1.6276236)).toBeCloseTo(0.01, 6);
  });

  it('matches the series on both sides of where the two forms switch', () => {
    // Python: 2·Σ_{k<200} (−1)^{k−1} e^{−2k²λ²}.
    expect(kolmogorovQ(0.5)).toBeCloseTo(0.9639452436648751, 9);
    expect(kolmogorovQ(0.8)).toBeCloseTo(0.5441424115741981, 9);
    expect(kolmogorovQ(1.0)).toBeCloseTo(0.26999967167735456, 9);
    expect(kolmogorovQ(2.0)).toBeCloseTo(0.0006709252557796953, 12);
    expect(kolmogorovQ(0)).toBe(1);
    expect(kolmogorovQ(0.05)).toBe(1);
  });

  it('puts the critical D at n = m = 1000, α = 0.05 near 0.0607 (DESIGN.md)', () => {
    const ne = (1000 * 1000) / 2000;
    expect(kolmogorovQ(Math.sqrt(ne) * 0.0607)).toBeCloseTo(0.05, 3);
    expect(kolmogorovQ(Math.sqrt(ne) * 0.06073601579494591)).toBeCloseTo(0.05, 6);
  });

  it('computes D = sup|F_a − F_b| and its p-value by hand on a small example', () => {
    const result = ksTest([1, 2, 3, 4], [3, 4, 5, 6]);
    expect(result.statistic).toBeCloseTo(0.5, 12);
    // n_e = 2, λ = √2·0.5; Q from the Python series.
    expect(result.pValue).toBeCloseTo(0.6993741991310155, 9);
  });

  it('handles ties at the same value on both sides', () => {
    expect(ksTest([1, 1, 2, 2], [1, 1, 2, 2]).statistic).toBe(0);
    expect(ksTest([1, 1, 1, 2], [1, 2, 2, 2]).statistic).toBeCloseTo(0.5, 12);
  });
});

describe('stats: chi-square', () => {
  it('computes ln Γ to 1e-12 relative precision', () => {
    // Python math.lgamma.
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247004, 12);
    expect(logGamma(10)).toBeCloseTo(12.801827480081467, 11);
    expect(logGamma(0.1)).toBeCloseTo(2.2527126517342055, 12);
    expect(logGamma(100.5)).toBeCloseTo(361.4355404677776, 9);
  });

  it('matches the published 5% critical values for 1, 2 and 10 degrees of freedom', () => {
    // Tables: χ²_{0.95}(1) = 3.841459, (2) = 5.991465, (10) = 18.307038.
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(5.991465, 2)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(18.307038, 10)).toBeCloseTo(0.05, 6);
  });

  it('matches closed forms: df 1 erfc(√(x/2)), df 2 e^{−x/2}, df 3, df 4 e^{−x/2}(1 + x/2), df 10', () => {
    expect(chiSquareSurvival(0.5, 1)).toBeCloseTo(0.4795001221869535, 9);
    expect(chiSquareSurvival(7.5, 3)).toBeCloseTo(0.057558451972636406, 9);
    expect(chiSquareSurvival(2, 4)).toBeCloseTo(0.7357588823428847, 9);
    expect(regularizedGammaQ(5, 30)).toBeCloseTo(3.6243009520614882e-9, 15);
  });

  it('keeps relative precision far in the tail', () => {
    const p = chiSquareSurvival(100, 2);
    expect(Math.abs(p / 1.9287498479639178e-22 - 1)).toBeLessThan(1e-9);
  });

  it('tests the 2×k table without continuity correction', () => {
    // By hand: expected 15/25/20 for both rows; χ² = 16/3 on 2 df, p = e^{−8/3}.
    const result = chiSquareTest([10, 20, 30], [20, 20, 20]);
    expect(result.statistic).toBeCloseTo(16 / 3, 12);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.pValue).toBeCloseTo(0.06948345122280151, 9);
  });

  it('drops categories empty on both sides before counting degrees of freedom', () => {
    const result = chiSquareTest([10, 0, 20, 30], [20, 0, 20, 20]);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.statistic).toBeCloseTo(16 / 3, 12);
  });

  it('returns p = 1 when fewer than two categories are left', () => {
    expect(chiSquareTest([5, 0], [7, 0])).toEqual({ statistic: 0, pValue: 1, degreesOfFreedom: 0 });
  });
});

describe('stats: Benjamini–Hochberg', () => {
  it('adjusts p-values and keeps them monotone in the input order', () => {
    // By hand: sorted .005, .01, .03, .04 → ×4/rank = .02, .02, .04, .04.
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted.map((p) => Number(p.toFixed(12)))).toEqual([0.02, 0.04, 0.04, 0.02]);
  });

  it('caps adjusted values at 1 and leaves a single p-value unchanged', () => {
    expect(benjaminiHochberg([0.9, 0.8])).toEqual([0.9, 0.9]);
    expect(benjaminiHochberg([0.3])).toEqual([0.3]);
    expect(benjaminiHochberg([])).toEqual([]);
  });
});
