/**
 * Reference values and where they come from:
 * - [hand]: worked out by hand in the comment next to the test.
 * - [py]: an independent pure-Python implementation (pairwise-count AUC, textbook formulas;
 *   python3 without numpy, since scikit-learn is not installed here) run on the same inputs.
 * - [sklearn-docs]: the examples printed in scikit-learn's documentation
 *   (https://scikit-learn.org/stable/modules/generated/sklearn.metrics.r2_score.html,
 *   mean_absolute_error.html, mean_squared_error.html, roc_auc_score.html).
 */
import { DataValidationError } from '../../../lambdas/core/errors';
import { computeMetrics, LOGLOSS_EPSILON, METRICS_BY_PROBLEM, parsePrediction } from '../../../lambdas/core/metrics';

const f64 = (values: number[]) => Float64Array.from(values);

function binary(labels: number[], scores: number[]) {
  return computeMetrics({ kind: 'binary', labels: f64(labels), scores: f64(scores) });
}

function multiclass(labels: number[], rows: number[][], classes: number) {
  return computeMetrics({ kind: 'multiclass', labels: Int32Array.from(labels), probabilities: f64(rows.flat()), classes });
}

function regression(labels: number[], values: number[]) {
  return computeMetrics({ kind: 'regression', labels: f64(labels), values: f64(values) });
}

describe('metrics: binary', () => {
  it('computes AUC as the Mann–Whitney statistic, a tied pair counting one half', () => {
    // [hand] positives 0.35, 0.8, 0.4; negatives 0.1, 0.4, 0.4.
    // 0.35 beats 0.1 (1); 0.8 beats all (3); 0.4 beats 0.1 and ties two 0.4s (1 + 2 × ½ = 2).
    // AUC = 6 / 9. [py] pairwise count gives 0.6666666666666666.
    const metrics = binary([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4]);

    expect(metrics.auc).toBeCloseTo(6 / 9, 12);
  });

  it('matches the roc_auc_score example of the scikit-learn documentation', () => {
    // [sklearn-docs] y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8] -> 0.75
    expect(binary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).auc).toBe(0.75);
  });

  it('gives AUC 0.5 when every score is the same (all pairs tied)', () => {
    expect(binary([0, 1, 0, 1, 1], [0.3, 0.3, 0.3, 0.3, 0.3]).auc).toBe(0.5);
  });

  it('returns NaN for AUC when the labels hold one class only (undefined, the gate never passes it)', () => {
    const metrics = binary([1, 1, 1], [0.2, 0.7, 0.9]);

    expect(metrics.auc).toBeNaN();
    expect(metrics.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('clips probabilities of exactly 0 and 1 to [1e-15, 1 - 1e-15] in log loss', () => {
    // [hand] label 1 at p = 0: -ln(1e-15) = 34.538776394910684
    //        label 0 at p = 1: -ln(1 - (1 - 1e-15)) = -ln(1.1102230246251565e-15) = 34.53957599234088
    //        a confident correct prediction costs -ln(1 - 1e-15) ≈ 1e-15. [py] agrees to all digits.
    expect(binary([1, 0], [0, 0]).logloss).toBeCloseTo((34.538776394910684 + 9.992007221626415e-16) / 2, 12);
    expect(binary([0, 1], [1, 1]).logloss).toBeCloseTo((34.53957599234088 + 9.992007221626415e-16) / 2, 12);
    expect(binary([1, 0, 1, 0], [0, 1, 1, 0]).logloss).toBeCloseTo(17.26958809681289, 10);
    expect(LOGLOSS_EPSILON).toBe(1e-15);
  });

  it('predicts class 1 above 0.5 only, so a score of exactly 0.5 is class 0', () => {
    // [hand] predictions 0, 1, 0, 0 -> TP 1, FP 0, FN 1, TN 2
    const metrics = binary([1, 1, 0, 0], [0.5, 0.51, 0.49, 0.1]);

    expect(metrics.accuracy).toBe(0.75);
    expect(metrics.precision).toBe(1);
    expect(metrics.recall).toBe(0.5);
    expect(metrics.f1).toBeCloseTo(2 / 3, 12);
  });

  it('computes accuracy, precision, recall and F1 from the confusion matrix', () => {
    // [py] TP 1, FP 0, FN 2, TN 3: accuracy 4/6, precision 1, recall 1/3, F1 = 2/(2+0+2) = 0.5
    const metrics = binary([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4]);

    expect(metrics.accuracy).toBeCloseTo(4 / 6, 12);
    expect(metrics.precision).toBe(1);
    expect(metrics.recall).toBeCloseTo(1 / 3, 12);
    expect(metrics.f1).toBe(0.5);
    expect(metrics.logloss).toBeCloseTo(0.5527113618128084, 12);
  });

  it('defines 0/0 as 0: precision without positive predictions, recall without positive labels', () => {
    const noPositivePredictions = binary([1, 0], [0.2, 0.1]);
    const noPositiveLabels = binary([0, 0], [0.2, 0.9]);

    expect(noPositivePredictions.precision).toBe(0);
    expect(noPositivePredictions.f1).toBe(0);
    expect(noPositiveLabels.recall).toBe(0);
    expect(noPositiveLabels.f1).toBe(0);
  });

  it('returns exactly the metric names of lib/config.ts for binary problems', () => {
    expect(Object.keys(binary([0, 1], [0.2, 0.8])).sort()).toEqual([...METRICS_BY_PROBLEM.binary].sort());
  });

  it('rejects labels other than 0 and 1, scores outside [0, 1] and length mismatches', () => {
    expect(() => binary([0, 2], [0.1, 0.2])).toThrow(/row 2: binary label must be 0 or 1, got 2/);
    expect(() => binary([0, 1], [0.1, 1.2])).toThrow(/row 2: score must be a probability/);
    expect(() => binary([0, 1], [0.1, Number.NaN])).toThrow(DataValidationError);
    expect(() => binary([0, 1], [0.1])).toThrow(/2 labels but 1 scores/);
    expect(() => binary([], [])).toThrow(/no rows/);
  });
});

describe('metrics: multiclass', () => {
  it('averages F1 over the classes present in labels or predictions; a class absent from both does not count', () => {
    // [hand] argmax predictions: 0, 1, 1, 1, 0 against labels 0, 0, 1, 1, 2 (4 classes).
    // class 0: TP 1, predicted 2, actual 2 -> F1 = 2/4 = 0.5
    // class 1: TP 2, predicted 3, actual 2 -> F1 = 4/5 = 0.8
    // class 2: TP 0, predicted 0, actual 1 -> F1 = 0 (counts: it is in the labels)
    // class 3: in neither -> left out, as sklearn's f1_score(average='macro') with labels=None.
    // macro F1 = (0.5 + 0.8 + 0) / 3. [py] 0.43333333333333335, accuracy 0.6, log loss 0.7361822568929529.
    const rows = [
      [0.7, 0.2, 0.1, 0.0],
      [0.3, 0.6, 0.1, 0.0],
      [0.1, 0.8, 0.1, 0.0],
      [0.2, 0.5, 0.3, 0.0],
      [0.5, 0.2, 0.3, 0.0],
    ];

    const metrics = multiclass([0, 0, 1, 1, 2], rows, 4);

    expect(metrics.macro_f1).toBeCloseTo(1.3 / 3, 12);
    expect(metrics.accuracy).toBe(0.6);
    expect(metrics.logloss).toBeCloseTo(0.7361822568929529, 12);
  });

  it('clips then renormalizes each row in log loss, and breaks argmax ties to the first class', () => {
    // [hand] row 1 sums to 0.6 -> p(0) = 1/3; row 2 is one-hot (zeros clipped); row 3 sums to
    // 1.25 -> p(2) = 0.4, and its argmax tie 0.5/0.5 goes to class 0 (wrong).
    // log loss = (ln 3 + ~0 + ln 2.5) / 3. [py] 0.6716343401807556; macro F1 (2/3 + 1 + 0) / 3.
    const metrics = multiclass([0, 1, 2], [[0.2, 0.2, 0.2], [0, 1, 0], [0.5, 0.25, 0.5]], 3);

    expect(metrics.logloss).toBeCloseTo(0.6716343401807556, 12);
    expect(metrics.accuracy).toBeCloseTo(2 / 3, 12);
    expect(metrics.macro_f1).toBeCloseTo(5 / 9, 12);
  });

  it('returns exactly the metric names of lib/config.ts for multiclass problems', () => {
    expect(Object.keys(multiclass([0, 1], [[0.9, 0.1], [0.2, 0.8]], 2)).sort()).toEqual([...METRICS_BY_PROBLEM.multiclass].sort());
  });

  it('rejects class indices out of range and a probability matrix of the wrong size', () => {
    expect(() => multiclass([0, 3], [[1, 0, 0], [0, 1, 0]], 3)).toThrow(/row 2: class index must be in \[0, 2\], got 3/);
    expect(() => multiclass([0, 1], [[1, 0, 0]], 3)).toThrow(/expected 2 rows × 3 classes = 6 probabilities, got 3/);
    expect(() => multiclass([0], [[1, -0.1]], 2)).toThrow(/probability of class 1 must be in \[0, 1\]/);
  });
});

describe('metrics: regression', () => {
  it('matches the scikit-learn documentation examples for RMSE, MAE and R²', () => {
    // [sklearn-docs] y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0.0, 2, 8]:
    // mean_squared_error 0.375 (RMSE √0.375), mean_absolute_error 0.5, r2_score 0.948...
    // [py] r2 = 0.9486081370449679.
    const metrics = regression([3, -0.5, 2, 7], [2.5, 0, 2, 8]);

    expect(metrics.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(metrics.mae).toBe(0.5);
    expect(metrics.r2).toBeCloseTo(0.9486081370449679, 12);
  });

  it('gives R² = 1 for perfect predictions of a constant target and 0 otherwise (sklearn force_finite)', () => {
    // sklearn r2_score docs: "when y_true is constant, the R² score is not finite: it is either
    // NaN (perfect predictions) or -Inf (imperfect predictions) ... replaced with 1.0 ... or 0.0".
    expect(regression([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]).r2).toBe(1);
    expect(regression([0.1, 0.1, 0.1], [0.1, 0.1, 0.2]).r2).toBe(0);
  });

  it('returns exactly the metric names of lib/config.ts for regression problems', () => {
    expect(Object.keys(regression([1, 2], [1, 2])).sort()).toEqual([...METRICS_BY_PROBLEM.regression].sort());
  });

  it('rejects non-finite targets and predictions', () => {
    expect(() => regression([1, Number.POSITIVE_INFINITY], [1, 2])).toThrow(/row 2: target must be a finite number/);
    expect(() => regression([1, 2], [Number.NaN, 2])).toThrow(/row 1: prediction must be a finite number/);
  });
});

describe('metrics: one million rows', () => {
  it('computes every binary metric of 1,000,000 rows and agrees with the rank formula', () => {
    const n = 1_000_000;
    const labels = new Float64Array(n);
    const scores = new Float64Array(n);
    const scoreIndex = new Int32Array(n); // score = scoreIndex / 1000: ties are frequent
    let state = 12345;
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0; // a fixed LCG: the same data every run
      const positive = state % 10 < 3;
      labels[i] = positive ? 1 : 0;
      scoreIndex[i] = ((state >>> 8) % 501) + (positive ? 400 : 0);
      scores[i] = scoreIndex[i] / 1000;
    }

    const metrics = computeMetrics({ kind: 'binary', labels, scores });

    // Rank formula with average ranks for ties: U = R₊ − P(P+1)/2, AUC = U/(P·N). The scores take
    // the 1001 values k/1000, so ranks come from counts per value instead of a sort.
    const positivesAt = new Float64Array(1001);
    const totalAt = new Float64Array(1001);
    for (let i = 0; i < n; i++) {
      totalAt[scoreIndex[i]]++;
      if (labels[i] === 1) positivesAt[scoreIndex[i]]++;
    }
    let below = 0;
    let rankSum = 0;
    let positives = 0;
    for (let k = 0; k <= 1000; k++) {
      const averageRank = below + (totalAt[k] + 1) / 2;
      rankSum += positivesAt[k] * averageRank;
      positives += positivesAt[k];
      below += totalAt[k];
    }
    const expectedAuc = (rankSum - (positives * (positives + 1)) / 2) / (positives * (n - positives));
    expect(metrics.auc).toBeCloseTo(expectedAuc, 9);
  });
});

describe('metrics: parsing batch-transform lines', () => {
  it('reads one probability for binary:logistic and one value for regression', () => {
    expect(parsePrediction('0.8734', 'binary')).toBe(0.8734);
    expect(parsePrediction(' 12.5\r', 'regression')).toBe(12.5);
    expect(parsePrediction('1e-05', 'binary')).toBe(1e-5);
  });

  it('reads multi:softprob probabilities as the container prints them, with or without brackets', () => {
    // The built-in XGBoost container joins Python lists with str(): "[0.1, 0.2, 0.7]".
    expect(Array.from(parsePrediction('[0.1, 0.2, 0.7]', 'multiclass', 3) as Float64Array)).toEqual([0.1, 0.2, 0.7]);
    expect(Array.from(parsePrediction('0.1,0.2,0.7', 'multiclass', 3) as Float64Array)).toEqual([0.1, 0.2, 0.7]);
    expect(Array.from(parsePrediction('0.1 0.2 0.7', 'multiclass') as Float64Array)).toEqual([0.1, 0.2, 0.7]);
  });

  it('rejects lines that are not predictions, saying what arrived', () => {
    expect(() => parsePrediction('', 'binary')).toThrow(/expected one number, got ""/);
    expect(() => parsePrediction('nan', 'binary')).toThrow(/expected one number, got "nan"/);
    expect(() => parsePrediction('0.1,0.9', 'binary')).toThrow(DataValidationError);
    expect(() => parsePrediction('[0.1, 0.9]', 'multiclass', 3)).toThrow(/expected 3 class probabilities, got 2/);
    expect(() => parsePrediction('[0.1, x, 0.7]', 'multiclass', 3)).toThrow(/got "x"/);
    expect(() => parsePrediction('[]', 'multiclass')).toThrow(/expected class probabilities/);
  });
});
