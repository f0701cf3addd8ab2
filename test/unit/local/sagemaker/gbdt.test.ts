import { computeMetrics } from '../../../../lambdas/core/metrics';
import { seededRandom } from '../../../../lambdas/core/stats';
import { DEFAULT_PARAMS, matrixFromRows, predictGbdt, trainGbdt, type GbdtParams } from '../../../../local/sagemaker/gbdt';

function params(overrides: Partial<GbdtParams>): GbdtParams {
  return { ...DEFAULT_PARAMS, objective: 'binary:logistic', numClass: 1, numRound: 30, maxDepth: 3, ...overrides };
}

/** y = 1 when x0 + x1 > 1 (x uniform in [0,1]²), with 5 % of labels flipped. */
function twoFeatures(n: number, seed: number): { x: ReturnType<typeof matrixFromRows>; y: Float64Array; rows: number[][] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = [random(), random()];
    rows.push(row);
    y[i] = (row[0] + row[1] > 1) !== random() < 0.05 ? 1 : 0;
  }
  return { x: matrixFromRows(rows, 2), y, rows };
}

describe('local sagemaker: gradient-boosted trees', () => {
  it('learns a binary target well above chance', () => {
    const train = twoFeatures(3000, 1);
    const test = twoFeatures(1000, 2);
    const { model } = trainGbdt({ train }, params({}));
    const { auc, accuracy } = computeMetrics({ kind: 'binary', labels: test.y, scores: predictGbdt(model, test.x) });
    expect(auc).toBeGreaterThan(0.9);
    expect(accuracy).toBeGreaterThan(0.85);
  });

  it('gives the same model for the same data and seed, and another one for another seed with subsampling', () => {
    const train = twoFeatures(1000, 3);
    const a = trainGbdt({ train }, params({ subsample: 0.7, seed: 5 })).model;
    const b = trainGbdt({ train }, params({ subsample: 0.7, seed: 5 })).model;
    const c = trainGbdt({ train }, params({ subsample: 0.7, seed: 6 })).model;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it('learns where missing values go instead of imputing them', () => {
    // Missing x0 means the label is 1: the split on x0 must send NaN right, with the high values.
    const random = seededRandom(9);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const missing = random() < 0.3;
      const x0 = random();
      rows.push([missing ? NaN : x0]);
      labels.push(missing || x0 > 0.5 ? 1 : 0);
    }
    const { model } = trainGbdt({ train: { x: matrixFromRows(rows, 1), y: Float64Array.from(labels) } }, params({ numRound: 20 }));
    const [missing, low, high] = predictGbdt(model, matrixFromRows([[NaN], [0.1], [0.9]], 1));
    expect(missing).toBeGreaterThan(0.9);
    expect(low).toBeLessThan(0.1);
    expect(high).toBeGreaterThan(0.9);
  });

  it('predicts class probabilities that sum to one for multi:softprob', () => {
    const random = seededRandom(4);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const x = random() * 3;
      rows.push([x]);
      labels.push(Math.floor(x));
    }
    const { model } = trainGbdt({ train: { x: matrixFromRows(rows, 1), y: Float64Array.from(labels) } }, params({ objective: 'multi:softprob', numClass: 3 }));
    const p = predictGbdt(model, matrixFromRows([[0.5], [1.5], [2.5]], 1));
    for (let i = 0; i < 3; i++) {
      expect(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2]).toBeCloseTo(1, 10);
      expect(p[i * 3 + i]).toBeGreaterThan(0.8);
    }
  });

  it('fits a regression target with reg:squarederror', () => {
    const random = seededRandom(8);
    const rows: number[][] = [];
    const values: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const x = random();
      rows.push([x]);
      values.push(10 * x + 3);
    }
    const { model } = trainGbdt({ train: { x: matrixFromRows(rows, 1), y: Float64Array.from(values) } }, params({ objective: 'reg:squarederror', numRound: 60, maxDepth: 4 }));
    const [a, b] = predictGbdt(model, matrixFromRows([[0.25], [0.75]], 1));
    expect(a).toBeCloseTo(5.5, 0);
    expect(b).toBeCloseTo(10.5, 0);
  });

  it('stops early when the validation loss stops improving and keeps the best rounds', () => {
    const train = twoFeatures(500, 10);
    const validation = twoFeatures(500, 11);
    const result = trainGbdt({ train, validation }, params({ numRound: 300, maxDepth: 6, eta: 0.5, earlyStoppingRounds: 5 }));
    // The best round is the one with the lowest validation loss (the first, on a tie).
    expect(result.bestRound).toBe(result.validationLoss.indexOf(Math.min(...result.validationLoss)));
    expect(result.model.rounds).toBe((result.bestRound as number) + 1);
    expect(result.validationLoss.length).toBeLessThan(300);
    expect(result.validationLoss.length).toBe((result.bestRound as number) + 6);
  });
});
