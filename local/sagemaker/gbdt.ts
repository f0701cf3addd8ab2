/**
 * The learner behind local training: histogram-based gradient-boosted trees that follow the
 * XGBoost hyperparameters the built-in SageMaker algorithm takes (objective, num_round,
 * max_depth, eta, subsample, colsample_bytree, min_child_weight, lambda, alpha, gamma, max_bin,
 * base_score, seed, early_stopping_rounds).
 *
 * Why not ml-random-forest: its CART implementation evaluates every split candidate with a full
 * pass over the node's rows, which is quadratic in the row count. Measured on this machine (10
 * trees, depth 5, 8 features): 1,000 rows 2.2 s, 2,000 rows 8.6 s, 4,000 rows 30 s, so ~10,000
 * rows cannot train in about a second. Histogram boosting is linear in rows × features per tree
 * level, trains ~10,000 rows × 200 rounds in well under a second, and its parameters mean what
 * they mean in XGBoost.
 *
 * How it works, briefly (Chen & Guestrin 2016, "hist" tree method):
 * - each feature is cut into at most `maxBin` bins at quantiles of its training values (midpoints
 *   between distinct values when there are few of them); missing values (NaN) get their own bin;
 * - trees grow depth-wise; a node's split maximizes
 *   gain = ½·[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] over features and cut points, trying the
 *   missing values on either side (the chosen side is the node's default direction), and is kept
 *   when gain > max(gamma, 1e-6) and both children carry at least min_child_weight of hessian;
 * - leaf weight = −soft(G, α)/(H+λ) · eta; the prediction is base margin + Σ leaf weights,
 *   through the sigmoid (binary), softmax (multiclass, one tree per class per round) or identity.
 * Missing values are therefore not imputed: like XGBoost, every split learns where they go.
 */
import { seededRandom } from '../../lambdas/core/stats';

export type Objective = 'binary:logistic' | 'multi:softprob' | 'reg:squarederror';

export interface GbdtParams {
  readonly objective: Objective;
  /** Number of classes: 1 for binary and regression. */
  readonly numClass: number;
  readonly numRound: number;
  readonly maxDepth: number;
  readonly eta: number;
  readonly subsample: number;
  readonly colsampleBytree: number;
  readonly minChildWeight: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly maxBin: number;
  /** Initial prediction (probability for binary:logistic); undefined = 0.5, or the label mean for regression. */
  readonly baseScore?: number;
  readonly seed: number;
  /** Stop when the validation loss has not improved for this many rounds (needs validation data). */
  readonly earlyStoppingRounds?: number;
}

export const DEFAULT_PARAMS: Omit<GbdtParams, 'objective' | 'numClass'> = {
  numRound: 100,
  maxDepth: 6,
  eta: 0.3,
  subsample: 1,
  colsampleBytree: 1,
  minChildWeight: 1,
  lambda: 1,
  alpha: 0,
  gamma: 0,
  maxBin: 256,
  seed: 0,
};

/** A regression tree in flat arrays. Node i is a leaf when feature[i] < 0 (its value is value[i]). */
export interface Tree {
  readonly feature: number[];
  /** A row goes left when x < threshold. */
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  /** 1 when missing values go left. */
  readonly defaultLeft: number[];
  readonly value: number[];
}

/** The trained model, as stored (JSON) in model.tar.gz. */
export interface GbdtModel {
  readonly format: 'retrain-local-gbdt';
  readonly version: 1;
  readonly objective: Objective;
  readonly numClass: number;
  readonly numFeatures: number;
  /** Margin every prediction starts from (one per output). */
  readonly baseMargin: number[];
  /** Round r, class k is trees[r * outputs + k] (outputs = numClass for multiclass, else 1). */
  readonly trees: Tree[];
  /** Rounds kept (best iteration + 1 with early stopping). */
  readonly rounds: number;
  readonly params: GbdtParams;
}

/** A dense feature matrix, column-major, NaN = missing. */
export interface FeatureMatrix {
  readonly rows: number;
  readonly columns: number;
  /** columns[j][i] = feature j of row i. */
  readonly data: Float64Array[];
}

export interface TrainInput {
  readonly train: { readonly x: FeatureMatrix; readonly y: Float64Array };
  readonly validation?: { readonly x: FeatureMatrix; readonly y: Float64Array };
}

export interface TrainResult {
  readonly model: GbdtModel;
  /** Validation loss per round (empty without validation data). */
  readonly validationLoss: number[];
  readonly bestRound?: number;
}

const MIN_GAIN = 1e-6;

/** Number of outputs (margins) per row. */
function outputsOf(objective: Objective, numClass: number): number {
  return objective === 'multi:softprob' ? numClass : 1;
}

export function trainGbdt(input: TrainInput, params: GbdtParams): TrainResult {
  const { x, y } = input.train;
  const n = x.rows;
  const outputs = outputsOf(params.objective, params.numClass);
  const binned = binMatrix(x, params.maxBin);
  const random = seededRandom(params.seed);

  const baseMargin = initialMargins(params, y, outputs);
  const margin = new Float64Array(n * outputs);
  for (let i = 0; i < n; i++) for (let k = 0; k < outputs; k++) margin[i * outputs + k] = baseMargin[k];

  const validation = input.validation;
  const validationMargin = validation ? new Float64Array(validation.x.rows * outputs) : undefined;
  if (validation && validationMargin) {
    for (let i = 0; i < validation.x.rows; i++) for (let k = 0; k < outputs; k++) validationMargin[i * outputs + k] = baseMargin[k];
  }

  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const trees: Tree[] = [];
  const validationLoss: number[] = [];
  let bestRound: number | undefined;
  let bestLoss = Infinity;

  for (let round = 0; round < params.numRound; round++) {
    const sampled = sampleRows(n, params.subsample, random);
    const features = sampleFeatures(x.columns, params.colsampleBytree, random);
    const probabilities = params.objective === 'multi:softprob' ? softmaxRows(margin, n, outputs) : undefined;
    for (let k = 0; k < outputs; k++) {
      gradients(params.objective, y, margin, probabilities, outputs, k, grad, hess);
      const { tree, leafOfRow } = growTree(binned, grad, hess, sampled, features, params);
      trees.push(tree);
      for (let i = 0; i < n; i++) margin[i * outputs + k] += tree.value[leafOfRow[i]];
      if (validation && validationMargin) {
        for (let i = 0; i < validation.x.rows; i++) validationMargin[i * outputs + k] += predictTree(tree, validation.x, i);
      }
    }
    if (validation && validationMargin) {
      const loss = lossOf(params.objective, validation.y, validationMargin, outputs);
      validationLoss.push(loss);
      if (loss < bestLoss - 1e-12) {
        bestLoss = loss;
        bestRound = round;
      } else if (params.earlyStoppingRounds !== undefined && bestRound !== undefined && round - bestRound >= params.earlyStoppingRounds) {
        break;
      }
    }
  }

  const rounds = params.earlyStoppingRounds !== undefined && bestRound !== undefined ? bestRound + 1 : trees.length / outputs;
  return {
    model: {
      format: 'retrain-local-gbdt',
      version: 1,
      objective: params.objective,
      numClass: params.numClass,
      numFeatures: x.columns,
      baseMargin,
      trees: trees.slice(0, rounds * outputs),
      rounds,
      params,
    },
    validationLoss,
    bestRound,
  };
}

/**
 * Predictions for every row: binary the probability of class 1, multiclass the class
 * probabilities (row-major, numClass per row), regression the value.
 */
export function predictGbdt(model: GbdtModel, x: FeatureMatrix): Float64Array {
  const outputs = outputsOf(model.objective, model.numClass);
  const margin = new Float64Array(x.rows * outputs);
  for (let i = 0; i < x.rows; i++) {
    for (let k = 0; k < outputs; k++) margin[i * outputs + k] = model.baseMargin[k];
  }
  for (let t = 0; t < model.trees.length; t++) {
    const k = t % outputs;
    const tree = model.trees[t];
    for (let i = 0; i < x.rows; i++) margin[i * outputs + k] += predictTree(tree, x, i);
  }
  switch (model.objective) {
    case 'binary:logistic':
      return margin.map(sigmoid);
    case 'multi:softprob':
      return softmaxRows(margin, x.rows, outputs);
    case 'reg:squarederror':
      return margin;
  }
}

/** Checks that a parsed JSON document is a model this learner wrote (shape, not every number). */
export function isGbdtModel(value: unknown): value is GbdtModel {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<GbdtModel>;
  return (
    m.format === 'retrain-local-gbdt' &&
    m.version === 1 &&
    (m.objective === 'binary:logistic' || m.objective === 'multi:softprob' || m.objective === 'reg:squarederror') &&
    typeof m.numClass === 'number' &&
    typeof m.numFeatures === 'number' &&
    Array.isArray(m.baseMargin) &&
    Array.isArray(m.trees)
  );
}

export function matrixFromRows(rows: readonly ArrayLike<number>[], columns: number): FeatureMatrix {
  const data = Array.from({ length: columns }, () => new Float64Array(rows.length));
  rows.forEach((row, i) => {
    for (let j = 0; j < columns; j++) data[j][i] = row[j];
  });
  return { rows: rows.length, columns, data };
}

// ----- internals -----

function sigmoid(m: number): number {
  return 1 / (1 + Math.exp(-m));
}

function softmaxRows(margin: Float64Array, n: number, outputs: number): Float64Array {
  const result = new Float64Array(n * outputs);
  for (let i = 0; i < n; i++) {
    const offset = i * outputs;
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) max = Math.max(max, margin[offset + k]);
    let sum = 0;
    for (let k = 0; k < outputs; k++) {
      const e = Math.exp(margin[offset + k] - max);
      result[offset + k] = e;
      sum += e;
    }
    for (let k = 0; k < outputs; k++) result[offset + k] /= sum;
  }
  return result;
}

function initialMargins(params: GbdtParams, y: Float64Array, outputs: number): number[] {
  switch (params.objective) {
    case 'binary:logistic': {
      const p = Math.min(Math.max(params.baseScore ?? 0.5, 1e-6), 1 - 1e-6);
      return [Math.log(p / (1 - p))];
    }
    case 'multi:softprob':
      return new Array<number>(outputs).fill(0);
    case 'reg:squarederror': {
      if (params.baseScore !== undefined) return [params.baseScore];
      let sum = 0;
      for (let i = 0; i < y.length; i++) sum += y[i];
      return [y.length > 0 ? sum / y.length : 0];
    }
  }
}

function gradients(
  objective: Objective,
  y: Float64Array,
  margin: Float64Array,
  probabilities: Float64Array | undefined,
  outputs: number,
  k: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  const n = y.length;
  switch (objective) {
    case 'binary:logistic':
      for (let i = 0; i < n; i++) {
        const p = sigmoid(margin[i]);
        grad[i] = p - y[i];
        hess[i] = Math.max(p * (1 - p), 1e-16);
      }
      return;
    case 'multi:softprob':
      for (let i = 0; i < n; i++) {
        const p = (probabilities as Float64Array)[i * outputs + k];
        grad[i] = p - (y[i] === k ? 1 : 0);
        hess[i] = Math.max(2 * p * (1 - p), 1e-16);
      }
      return;
    case 'reg:squarederror':
      for (let i = 0; i < n; i++) {
        grad[i] = margin[i] - y[i];
        hess[i] = 1;
      }
      return;
  }
}

/** Mean loss of the objective on the margins (logloss, mlogloss or squared error / 2 → rmse). */
function lossOf(objective: Objective, y: Float64Array, margin: Float64Array, outputs: number): number {
  const n = y.length;
  if (n === 0) return 0;
  let sum = 0;
  switch (objective) {
    case 'binary:logistic':
      for (let i = 0; i < n; i++) {
        const p = Math.min(Math.max(sigmoid(margin[i]), 1e-15), 1 - 1e-15);
        sum -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
      }
      return sum / n;
    case 'multi:softprob': {
      const p = softmaxRows(margin, n, outputs);
      for (let i = 0; i < n; i++) sum -= Math.log(Math.max(p[i * outputs + y[i]], 1e-15));
      return sum / n;
    }
    case 'reg:squarederror':
      for (let i = 0; i < n; i++) sum += (margin[i] - y[i]) ** 2;
      return Math.sqrt(sum / n);
  }
}

interface BinnedMatrix {
  readonly rows: number;
  readonly columns: number;
  /** bins[j][i]: bin of row i in feature j; missing = bins of feature j (cuts[j].length + 1). */
  readonly bins: Uint16Array[];
  /** Cut points per feature; bin b holds values in [cuts[b-1], cuts[b]). */
  readonly cuts: Float64Array[];
}

function binMatrix(x: FeatureMatrix, maxBin: number): BinnedMatrix {
  const bins: Uint16Array[] = [];
  const cuts: Float64Array[] = [];
  for (let j = 0; j < x.columns; j++) {
    const column = x.data[j];
    const present = column.filter((v) => !Number.isNaN(v)).sort();
    const featureCuts = cutPoints(present, maxBin);
    const missingBin = featureCuts.length + 1;
    const featureBins = new Uint16Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      const v = column[i];
      featureBins[i] = Number.isNaN(v) ? missingBin : upperBound(featureCuts, v);
    }
    bins.push(featureBins);
    cuts.push(featureCuts);
  }
  return { rows: x.rows, columns: x.columns, bins, cuts };
}

/** At most maxBin - 1 cut points: midpoints between distinct values, or quantiles of them. */
function cutPoints(sorted: Float64Array, maxBin: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  const result: number[] = [];
  if (distinct.length <= maxBin) {
    for (let i = 1; i < distinct.length; i++) result.push((distinct[i - 1] + distinct[i]) / 2);
  } else {
    for (let b = 1; b < maxBin; b++) {
      const position = Math.floor((b * sorted.length) / maxBin);
      const cut = sorted[position];
      if (cut > sorted[0] && (result.length === 0 || cut > result[result.length - 1])) result.push(cut);
    }
  }
  return Float64Array.from(result);
}

/** Number of cuts ≤ v: the bin of v. */
function upperBound(cuts: Float64Array, v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Indices of the rows a tree sees: each row with probability `subsample` (all when ≥ 1). */
function sampleRows(n: number, subsample: number, random: () => number): Int32Array {
  if (subsample >= 1) return Int32Array.from({ length: n }, (_, i) => i);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (random() < subsample) rows.push(i);
  return Int32Array.from(rows);
}

function sampleFeatures(columns: number, share: number, random: () => number): number[] {
  const all = Array.from({ length: columns }, (_, j) => j);
  if (share >= 1) return all;
  const count = Math.max(1, Math.floor(columns * share));
  for (let i = columns - 1; i > 0; i--) {
    const r = Math.floor(random() * (i + 1));
    [all[i], all[r]] = [all[r], all[i]];
  }
  return all.slice(0, count).sort((a, b) => a - b);
}

interface Split {
  readonly gain: number;
  readonly feature: number;
  /** Bins ≤ bin go left. */
  readonly bin: number;
  readonly missingLeft: boolean;
}

/** A node being grown: its rows are rows[start, end) of the partition. */
interface GrowingNode {
  readonly node: number;
  readonly start: number;
  readonly end: number;
  readonly g: number;
  readonly h: number;
  /** Gradient histogram [feature][bin][g, h]; only for nodes that may still split. */
  hist?: Float64Array;
}

/**
 * Grows one tree depth-wise on the sampled rows, keeping them partitioned by node. A child's
 * histogram is built from the rows of the smaller child and the other one is the parent's minus
 * it (the "subtraction trick"), so each level reads at most half of the rows. Returns the tree
 * and the leaf of every training row, sampled or not.
 */
function growTree(
  binned: BinnedMatrix,
  grad: Float64Array,
  hess: Float64Array,
  sampledRows: Int32Array,
  features: readonly number[],
  params: GbdtParams,
): { tree: Tree; leafOfRow: Int32Array } {
  const tree: { [K in keyof Tree]: number[] } = { feature: [], threshold: [], left: [], right: [], defaultLeft: [], value: [] };
  const splitBin: number[] = [];
  const addNode = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.defaultLeft.push(0);
    tree.value.push(0);
    splitBin.push(-1);
    return tree.feature.length - 1;
  };
  const stride = Math.max(...binned.cuts.map((c) => c.length + 2));
  const histSize = features.length * stride * 2;
  const rows = sampledRows.slice();
  const scratch = new Int32Array(rows.length);
  const mayGrow = (h: number, depth: number) => depth < params.maxDepth && h >= 2 * params.minChildWeight && h > 0;

  const [g0, h0] = sums(rows, 0, rows.length, grad, hess);
  const root: GrowingNode = { node: addNode(), start: 0, end: rows.length, g: g0, h: h0 };
  if (mayGrow(h0, 0)) root.hist = buildHistogram(new Float64Array(histSize), rows, 0, rows.length, binned, features, stride, grad, hess);
  let level = [root];
  const leafOfRow = new Int32Array(binned.rows).fill(-1);

  for (let depth = 0; level.length > 0; depth++) {
    const next: GrowingNode[] = [];
    for (const current of level) {
      const split = current.hist ? bestSplit(current.hist, features, binned, stride, current.g, current.h, params) : undefined;
      if (!split) {
        tree.value[current.node] = leafWeight(current.g, current.h, params);
        for (let k = current.start; k < current.end; k++) leafOfRow[rows[k]] = current.node;
        continue;
      }
      const node = current.node;
      tree.feature[node] = split.feature;
      tree.threshold[node] = binned.cuts[split.feature][split.bin];
      tree.defaultLeft[node] = split.missingLeft ? 1 : 0;
      splitBin[node] = split.bin;
      tree.left[node] = addNode();
      tree.right[node] = addNode();

      const mid = partition(rows, scratch, current.start, current.end, binned, split);
      const leftIsSmaller = mid - current.start <= current.end - mid;
      const [smallStart, smallEnd] = leftIsSmaller ? [current.start, mid] : [mid, current.end];
      const [gs, hs] = sums(rows, smallStart, smallEnd, grad, hess);
      const [gl, hl, gr, hr] = leftIsSmaller ? [gs, hs, current.g - gs, current.h - hs] : [current.g - gs, current.h - hs, gs, hs];
      const left: GrowingNode = { node: tree.left[node], start: current.start, end: mid, g: gl, h: hl };
      const right: GrowingNode = { node: tree.right[node], start: mid, end: current.end, g: gr, h: hr };
      if ((mayGrow(hl, depth + 1) || mayGrow(hr, depth + 1)) && current.hist) {
        const small = buildHistogram(new Float64Array(histSize), rows, smallStart, smallEnd, binned, features, stride, grad, hess);
        const large = current.hist;
        for (let b = 0; b < histSize; b++) large[b] -= small[b];
        left.hist = leftIsSmaller ? small : large;
        right.hist = leftIsSmaller ? large : small;
      }
      current.hist = undefined;
      next.push(left, right);
    }
    level = next;
  }

  // Rows left out by subsampling still need their leaf, for the margins.
  for (let i = 0; i < binned.rows; i++) {
    if (leafOfRow[i] >= 0) continue;
    let node = 0;
    while (splitBin[node] >= 0) {
      const j = tree.feature[node];
      const bin = binned.bins[j][i];
      const goLeft = bin === binned.cuts[j].length + 1 ? tree.defaultLeft[node] === 1 : bin <= splitBin[node];
      node = goLeft ? tree.left[node] : tree.right[node];
    }
    leafOfRow[i] = node;
  }
  return { tree, leafOfRow };
}

function sums(rows: Int32Array, start: number, end: number, grad: Float64Array, hess: Float64Array): [number, number] {
  let g = 0;
  let h = 0;
  for (let r = start; r < end; r++) {
    g += grad[rows[r]];
    h += hess[rows[r]];
  }
  return [g, h];
}

function buildHistogram(
  hist: Float64Array,
  rows: Int32Array,
  start: number,
  end: number,
  binned: BinnedMatrix,
  features: readonly number[],
  stride: number,
  grad: Float64Array,
  hess: Float64Array,
): Float64Array {
  for (let f = 0; f < features.length; f++) {
    const bins = binned.bins[features[f]];
    const base = f * stride;
    for (let r = start; r < end; r++) {
      const i = rows[r];
      const at = (base + bins[i]) * 2;
      hist[at] += grad[i];
      hist[at + 1] += hess[i];
    }
  }
  return hist;
}

/** Stable partition of rows[start, end): rows going left first. Returns where the right ones start. */
function partition(rows: Int32Array, scratch: Int32Array, start: number, end: number, binned: BinnedMatrix, split: Split): number {
  const bins = binned.bins[split.feature];
  const missingBin = binned.cuts[split.feature].length + 1;
  let l = start;
  let r = 0;
  for (let k = start; k < end; k++) {
    const i = rows[k];
    const bin = bins[i];
    const goLeft = bin === missingBin ? split.missingLeft : bin <= split.bin;
    if (goLeft) rows[l++] = i;
    else scratch[r++] = i;
  }
  rows.set(scratch.subarray(0, r), l);
  return l;
}

function bestSplit(
  hist: Float64Array,
  features: readonly number[],
  binned: BinnedMatrix,
  stride: number,
  gTotal: number,
  hTotal: number,
  params: GbdtParams,
): Split | undefined {
  const parentScore = score(gTotal, hTotal, params);
  const minGain = Math.max(params.gamma, MIN_GAIN);
  let best: Split | undefined;
  for (let f = 0; f < features.length; f++) {
    const j = features[f];
    const cutCount = binned.cuts[j].length;
    const base = f * stride;
    const gMissing = hist[(base + cutCount + 1) * 2];
    const hMissing = hist[(base + cutCount + 1) * 2 + 1];
    let gLeft = 0;
    let hLeft = 0;
    // Split after bin b (b = 0..cutCount-1): bins 0..b go left, threshold cuts[b].
    for (let b = 0; b < cutCount; b++) {
      gLeft += hist[(base + b) * 2];
      hLeft += hist[(base + b) * 2 + 1];
      // Missing values right, then (when there are any) left.
      for (let side = 0; side < (hMissing > 0 ? 2 : 1); side++) {
        const gl = side === 1 ? gLeft + gMissing : gLeft;
        const hl = side === 1 ? hLeft + hMissing : hLeft;
        const hr = hTotal - hl;
        if (hl < params.minChildWeight || hr < params.minChildWeight) continue;
        const gain = 0.5 * (score(gl, hl, params) + score(gTotal - gl, hr, params) - parentScore);
        if (gain > minGain && (!best || gain > best.gain)) best = { gain, feature: j, bin: b, missingLeft: side === 1 };
      }
    }
  }
  return best;
}

function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

function score(g: number, h: number, params: GbdtParams): number {
  const t = thresholdL1(g, params.alpha);
  return (t * t) / (h + params.lambda);
}

function leafWeight(g: number, h: number, params: GbdtParams): number {
  return (-thresholdL1(g, params.alpha) / (h + params.lambda)) * params.eta;
}

function predictTree(tree: Tree, x: FeatureMatrix, i: number): number {
  let node = 0;
  for (;;) {
    const j = tree.feature[node];
    if (j < 0) return tree.value[node];
    const v = x.data[j][i];
    const goLeft = Number.isNaN(v) ? tree.defaultLeft[node] === 1 : v < tree.threshold[node];
    node = goLeft ? tree.left[node] : tree.right[node];
  }
}
