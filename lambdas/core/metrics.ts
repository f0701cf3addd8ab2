/**
 * Model quality metrics for the evaluation gate (DESIGN.md section 5), computed on typed arrays
 * in one or two passes (AUC sorts: O(n log n)), so a million test rows take well under a second.
 *
 * Conventions, each chosen to agree with scikit-learn where it defines one:
 * - binary `auc` is the Mann–Whitney statistic: the share of (positive, negative) pairs the
 *   score orders correctly, a tie counting one half — the same as the rank formula with average
 *   ranks for ties, and as sklearn's roc_auc_score. With only one class in the labels AUC is
 *   undefined (sklearn raises); here it is NaN, and the gate never passes a NaN.
 * - `logloss` clips probabilities to [1e-15, 1 - 1e-15]; multiclass rows are clipped and then
 *   renormalized to sum to 1 (sklearn's log_loss before 1.5).
 * - binary labels are predicted at threshold 0.5 as SageMaker XGBoost does for `predicted_label`
 *   (`int(p > 0.5)`, sagemaker-xgboost-container algorithm_mode/serve_utils.py): a score of
 *   exactly 0.5 is class 0.
 * - a 0/0 ratio is 0 (sklearn's zero_division=0): precision with no positive predictions, recall
 *   with no positive labels, F1 when both are 0.
 * - `macro_f1` averages per-class F1 = 2TP / (2TP + FP + FN) over the classes that occur in the
 *   labels or the predictions; a class absent from both does not count (sklearn f1_score,
 *   average='macro', labels=None: "all labels in y_true and y_pred are used").
 * - `r2` of a constant target is 1.0 when the predictions are perfect and 0.0 otherwise
 *   (sklearn r2_score with force_finite=True, its default).
 */
import { DataValidationError } from './errors';
import { metricsFor, type ProblemType } from './types';

export type Predictions =
  | { kind: 'binary'; labels: Float64Array; scores: Float64Array }
  | { kind: 'multiclass'; labels: Int32Array; probabilities: Float64Array /* row-major n×classes */; classes: number }
  | { kind: 'regression'; labels: Float64Array; values: Float64Array };

/** Probabilities are clipped to [LOGLOSS_EPSILON, 1 - LOGLOSS_EPSILON] before taking logs. */
export const LOGLOSS_EPSILON = 1e-15;

/** A score above this is a positive prediction (SageMaker XGBoost's predicted_label rule). */
export const BINARY_THRESHOLD = 0.5;

/** The metrics computeMetrics returns for each problem type, named as in lib/config.ts METRICS. */
export const METRICS_BY_PROBLEM: Readonly<Record<ProblemType, readonly string[]>> = {
  binary: metricsFor('binary'),
  multiclass: metricsFor('multiclass'),
  regression: metricsFor('regression'),
};

/**
 * Every metric of the problem type. Throws DataValidationError when the arrays disagree in
 * length, are empty, or hold a value that is not a label or a prediction (row numbers are
 * 1-based). A metric that is undefined for the data (auc with one class) is NaN.
 */
export function computeMetrics(p: Predictions): Record<string, number> {
  switch (p.kind) {
    case 'binary':
      return binaryMetrics(p.labels, p.scores);
    case 'multiclass':
      return multiclassMetrics(p.labels, p.probabilities, p.classes);
    case 'regression':
      return regressionMetrics(p.labels, p.values);
  }
}

/**
 * One line of a SageMaker built-in XGBoost batch-transform output for text/csv: binary:logistic
 * and regression write one number; multi:softprob writes the class probabilities as a Python
 * list, e.g. "[0.1, 0.2, 0.7]" (`"\n".join(map(str, prediction.tolist()))` in the container's
 * handler_service.py), so brackets are optional and commas and/or spaces separate values.
 * Returns a number (binary, regression) or the probabilities (multiclass; `classes` checks
 * their count). Throws DataValidationError naming the content when the line is not that.
 */
export function parsePrediction(line: string, problem: ProblemType, classes?: number): number | Float64Array {
  const text = line.trim();
  if (problem !== 'multiclass') {
    const value = parseNumber(text);
    if (value === undefined) {
      throw new DataValidationError(`expected one number, got ${show(text)}`, { context: { line: text } });
    }
    return value;
  }
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1).trim() : text;
  const parts = inner === '' ? [] : inner.split(/\s*,\s*|\s+/);
  const values = new Float64Array(parts.length);
  parts.forEach((part, i) => {
    const value = parseNumber(part);
    if (value === undefined) {
      throw new DataValidationError(`expected class probabilities, got ${show(part)} in ${show(text)}`, {
        context: { line: text },
      });
    }
    values[i] = value;
  });
  if (classes !== undefined && values.length !== classes) {
    throw new DataValidationError(`expected ${classes} class probabilities, got ${values.length} in ${show(text)}`, {
      context: { line: text },
    });
  }
  if (values.length === 0) {
    throw new DataValidationError(`expected class probabilities, got ${show(text)}`, { context: { line: text } });
  }
  return values;
}

// ----- binary -----

function binaryMetrics(labels: Float64Array, scores: Float64Array): Record<string, number> {
  const n = checkLengths(labels.length, scores.length, 'scores');
  let positives = 0;
  let tp = 0;
  let fp = 0;
  let lossSum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const s = scores[i];
    if (y !== 0 && y !== 1) {
      throw new DataValidationError(`row ${i + 1}: binary label must be 0 or 1, got ${y}`, { context: { row: i + 1 } });
    }
    if (!(s >= 0 && s <= 1)) {
      throw new DataValidationError(`row ${i + 1}: score must be a probability in [0, 1], got ${s}`, { context: { row: i + 1 } });
    }
    const predicted = s > BINARY_THRESHOLD;
    if (y === 1) {
      positives++;
      if (predicted) tp++;
    } else if (predicted) {
      fp++;
    }
    const p = clip(s);
    lossSum -= y === 1 ? Math.log(p) : Math.log(1 - p);
  }
  const fn = positives - tp;
  const tn = n - positives - fp;
  return {
    auc: rocAuc(labels, scores, positives),
    logloss: lossSum / n,
    accuracy: (tp + tn) / n,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

/**
 * Mann–Whitney AUC: sort the positive and the negative scores separately (native numeric sort
 * of typed arrays), then walk them together counting, for each positive, the negatives below it
 * and those equal to it (worth one half). Sums stay exact integers/halves in a double up to
 * 2^53, far above 10^12 pairs.
 */
function rocAuc(labels: Float64Array, scores: Float64Array, positives: number): number {
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  for (let i = 0, a = 0, b = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  let below = 0; // negatives strictly below the current positive score
  let notAbove = 0; // negatives below or equal
  let correct = 0;
  for (let i = 0; i < positives; i++) {
    const s = pos[i];
    while (below < negatives && neg[below] < s) below++;
    if (notAbove < below) notAbove = below;
    while (notAbove < negatives && neg[notAbove] <= s) notAbove++;
    correct += below + (notAbove - below) / 2;
  }
  return correct / (positives * negatives);
}

// ----- multiclass -----

function multiclassMetrics(labels: Int32Array, probabilities: Float64Array, classes: number): Record<string, number> {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new DataValidationError(`multiclass needs at least 2 classes, got ${classes}`, { context: { classes } });
  }
  const n = labels.length;
  if (probabilities.length !== n * classes) {
    throw new DataValidationError(
      `expected ${n} rows × ${classes} classes = ${n * classes} probabilities, got ${probabilities.length}`,
      { context: { rows: n, classes, probabilities: probabilities.length } },
    );
  }
  if (n === 0) throw new DataValidationError('no rows to evaluate');
  const truePositives = new Float64Array(classes);
  const labelCounts = new Float64Array(classes);
  const predictedCounts = new Float64Array(classes);
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < classes)) {
      throw new DataValidationError(`row ${i + 1}: class index must be in [0, ${classes - 1}], got ${y}`, { context: { row: i + 1 } });
    }
    const offset = i * classes;
    let best = 0;
    let clippedSum = 0;
    for (let c = 0; c < classes; c++) {
      const q = probabilities[offset + c];
      if (!(q >= 0 && q <= 1)) {
        throw new DataValidationError(`row ${i + 1}: probability of class ${c} must be in [0, 1], got ${q}`, {
          context: { row: i + 1, class: c },
        });
      }
      // First maximum wins, as numpy.argmax (what the container uses for predicted_label).
      if (q > probabilities[offset + best]) best = c;
      clippedSum += clip(q);
    }
    labelCounts[y]++;
    predictedCounts[best]++;
    if (best === y) {
      correct++;
      truePositives[y]++;
    }
    lossSum -= Math.log(clip(probabilities[offset + y]) / clippedSum);
  }
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    if (labelCounts[c] === 0 && predictedCounts[c] === 0) continue;
    present++;
    // 2TP + FP + FN = (TP + FP) + (TP + FN) = predicted + actual
    f1Sum += (2 * truePositives[c]) / (predictedCounts[c] + labelCounts[c]);
  }
  return { accuracy: correct / n, macro_f1: f1Sum / present, logloss: lossSum / n };
}

// ----- regression -----

function regressionMetrics(labels: Float64Array, values: Float64Array): Record<string, number> {
  const n = checkLengths(labels.length, values.length, 'predictions');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const v = values[i];
    if (!Number.isFinite(y)) {
      throw new DataValidationError(`row ${i + 1}: target must be a finite number, got ${y}`, { context: { row: i + 1 } });
    }
    if (!Number.isFinite(v)) {
      throw new DataValidationError(`row ${i + 1}: prediction must be a finite number, got ${v}`, { context: { row: i + 1 } });
    }
    sum += y;
    if (y < min) min = y;
    if (y > max) max = y;
  }
  const mean = sum / n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const residual = labels[i] - values[i];
    squared += residual * residual;
    absolute += Math.abs(residual);
    const deviation = labels[i] - mean;
    total += deviation * deviation;
  }
  // A constant target is detected exactly (min === max) rather than by total === 0, which
  // rounding in the mean can miss.
  const r2 = min === max ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return { rmse: Math.sqrt(squared / n), mae: absolute / n, r2 };
}

// ----- helpers -----

function checkLengths(labels: number, predictions: number, what: string): number {
  if (labels !== predictions) {
    throw new DataValidationError(`${labels} labels but ${predictions} ${what}`, { context: { labels, predictions } });
  }
  if (labels === 0) throw new DataValidationError('no rows to evaluate');
  return labels;
}

function clip(p: number): number {
  return p < LOGLOSS_EPSILON ? LOGLOSS_EPSILON : p > 1 - LOGLOSS_EPSILON ? 1 - LOGLOSS_EPSILON : p;
}

/** numerator / denominator, with 0/0 = 0 (sklearn's zero_division=0). */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite decimal number, or undefined ("", "nan", "inf", "1,5" are not numbers). */
function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function show(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
