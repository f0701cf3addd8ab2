/**
 * Deterministic data for the benchmarks, produced as streams of chunks so that a gigabyte is
 * never held in memory:
 *
 * - raw CSV for the ETL: `id`, 20 numeric features (n00..n19), 5 categorical ones (c0..c4), a
 *   binary `label`; about 230 bytes a row;
 * - SageMaker Data Capture JSON Lines for the drift monitor: the same 25 features as the model
 *   receives them (numbers as text, categories as codes), one single-row request per line, with
 *   the model's output; plus the baseline.json and schema.json of a champion trained on that
 *   distribution;
 * - labels and predictions for the evaluation metrics.
 *
 * Rows combine a unique id with one of POOL_SIZE seeded row bodies, so generating costs little
 * next to what is measured while every value and category still follows its distribution. The
 * same options always give the same bytes.
 */
import { BaselineProfiler } from '../lambdas/core/profile';
import { seededRandom } from '../lambdas/core/stats';
import type { Baseline, ModelSchema } from '../lambdas/core/types';

export const NUMERIC_FEATURES: readonly string[] = Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}`);
export const CATEGORICAL_FEATURES: readonly string[] = ['c0', 'c1', 'c2', 'c3', 'c4'];
/** Model input order: the numeric features, then the categorical ones. */
export const FEATURES: readonly string[] = [...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES];
export const CSV_HEADER: readonly string[] = ['id', ...FEATURES, 'label'];

/** Distinct values of each categorical feature: from a handful to more than the baseline's top 50. */
const CATEGORY_COUNTS = [4, 12, 40, 150, 600];
export const CATEGORY_VALUES: readonly (readonly string[])[] = CATEGORY_COUNTS.map((count, f) =>
  Array.from({ length: count }, (_, v) => `c${f}_v${String(v).padStart(3, '0')}`),
);

/** Row bodies generated per seed; prime, so that a prime stride walks all of them. */
export const POOL_SIZE = 16_381;
const STRIDE = 7_919;
/** Share of missing (empty) values per numeric field and per categorical field. */
const MISSING_NUMERIC = 0.01;
const MISSING_CATEGORY = 0.005;

/** One generated row body: feature values as written, category codes (-1 = missing), the label. */
interface RowBody {
  readonly numbers: readonly string[];
  readonly codes: readonly number[];
  readonly label: 0 | 1;
}

// Local bindings: a global lookup of `Math` is slow inside vm contexts (jest), and pools are large.
const { sqrt, log, cos, min, floor, PI } = Math;
const pools = new Map<number, readonly RowBody[]>();

/** The seeded pool of row bodies every generator below draws from (built once per seed). */
export function rowPool(seed: number): readonly RowBody[] {
  const cached = pools.get(seed);
  if (cached) return cached;
  const random = seededRandom(seed);
  const normal = () => sqrt(-2 * log(1 - random())) * cos(2 * PI * random());
  const pool: RowBody[] = [];
  for (let r = 0; r < POOL_SIZE; r++) {
    // Feature f is N(10 f, (f + 1)²); z keeps the standard normal behind each value.
    const z: number[] = [];
    const numbers: string[] = [];
    for (let f = 0; f < NUMERIC_FEATURES.length; f++) {
      z.push(normal());
      numbers.push(random() < MISSING_NUMERIC ? '' : (f * 10 + (f + 1) * z[f]).toFixed(f % 4));
    }
    // Skewed categories: low codes are frequent.
    const codes = CATEGORY_COUNTS.map((count) => (random() < MISSING_CATEGORY ? -1 : min(count - 1, floor(count * random() ** 2))));
    // About 30% positives, learnable from n00, n03 and c0.
    const score = 0.8 * z[0] - 0.5 * z[3] + 0.6 * normal() + (codes[0] === 0 ? 0.4 : -0.2);
    pool.push({ numbers, codes, label: score > 0.7 ? 1 : 0 });
  }
  pools.set(seed, pool);
  return pool;
}

function pick(pool: readonly RowBody[], index: number): RowBody {
  return pool[(index * STRIDE) % POOL_SIZE];
}

/** What a generator produced, filled in as it runs. */
export interface GeneratedStats {
  bytes: number;
  /** Data rows or capture records (a CSV header is not a row). */
  rows: number;
  /** Rows with "n/a" in n03, which the ETL must quarantine. */
  badRows: number;
}

export function newStats(): GeneratedStats {
  return { bytes: 0, rows: 0, badRows: 0 };
}

export interface CsvOptions {
  /** Stop before the file would exceed this many bytes. */
  readonly bytes: number;
  /** @default 42 */
  readonly seed?: number;
  /** Every badEvery-th row has "n/a" in n03. @default 0 (none) */
  readonly badEvery?: number;
  /** @default 256 KiB */
  readonly chunkBytes?: number;
}

/**
 * The raw CSV of the ETL benchmark (header, then rows until `bytes` would be exceeded), chunk
 * by chunk. Only ASCII is written, so characters are bytes.
 */
export function* csvChunks(options: CsvOptions, stats: GeneratedStats = newStats()): Generator<Buffer> {
  const pool = rowPool(options.seed ?? 42);
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const badEvery = options.badEvery ?? 0;
  let text = `${CSV_HEADER.join(',')}\n`;
  for (;;) {
    const n = stats.rows;
    const body = pick(pool, n);
    const bad = badEvery > 0 && n % badEvery === badEvery - 1;
    const numbers = bad ? body.numbers.map((v, f) => (f === 3 ? 'n/a' : v)) : body.numbers;
    const categories = body.codes.map((code, f) => (code < 0 ? '' : CATEGORY_VALUES[f][code]));
    const line = `r${n},${numbers.join(',')},${categories.join(',')},${body.label}\n`;
    if (stats.bytes + text.length + line.length > options.bytes) break;
    text += line;
    stats.rows += 1;
    if (bad) stats.badRows += 1;
    if (text.length >= chunkBytes) {
      stats.bytes += text.length;
      yield Buffer.from(text, 'latin1');
      text = '';
    }
  }
  stats.bytes += text.length;
  if (text.length > 0) yield Buffer.from(text, 'latin1');
}

export interface CaptureOptions {
  /** Records (lines) to write. */
  readonly rows: number;
  /** Index of the first record, so that several files of one window have distinct ids. @default 0 */
  readonly first?: number;
  /** eventMetadata.inferenceTime of every record (ISO 8601). */
  readonly inferenceTime: string;
  /** @default 42 */
  readonly seed?: number;
  /** @default 256 KiB */
  readonly chunkBytes?: number;
}

/**
 * SageMaker Data Capture lines (CSV encoding, input and output captured), one single-row request
 * per line, the row in model input order: numbers as text, categories as their codes.
 */
export function* captureChunks(options: CaptureOptions, stats: GeneratedStats = newStats()): Generator<Buffer> {
  const pool = rowPool(options.seed ?? 42);
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const first = options.first ?? 0;
  let text = '';
  for (let i = first; i < first + options.rows; i++) {
    const body = pick(pool, i);
    const input = `${body.numbers.join(',')},${body.codes.join(',')}`;
    const output = (body.label === 1 ? 0.5 + ((i * 37) % 500) / 1000 : ((i * 37) % 500) / 1000).toFixed(3);
    text +=
      `{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"${input}","encoding":"CSV"},` +
      `"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"${output}","encoding":"CSV"}},` +
      `"eventMetadata":{"eventId":"ev-${i}","inferenceId":"inf-${i}","inferenceTime":"${options.inferenceTime}"},"eventVersion":"0"}\n`;
    stats.rows += 1;
    if (text.length >= chunkBytes) {
      stats.bytes += text.length;
      yield Buffer.from(text, 'latin1');
      text = '';
    }
  }
  stats.bytes += text.length;
  if (text.length > 0) yield Buffer.from(text, 'latin1');
}

/** schema.json of the champion the capture was scored by. */
export function captureSchema(runId: string): ModelSchema {
  return {
    version: 1,
    runId,
    problemType: 'binary',
    target: 'label',
    classes: ['0', '1'],
    features: [
      ...NUMERIC_FEATURES.map((name) => ({ name, kind: 'numeric' as const })),
      ...CATEGORICAL_FEATURES.map((name, f) => ({ name, kind: 'categorical' as const, categories: [...CATEGORY_VALUES[f]] })),
    ],
  };
}

/** baseline.json of that champion: the profile of `rows` rows of the same distribution (another seed). */
export function captureBaseline(runId: string, options: { rows?: number; seed?: number } = {}): Baseline {
  const pool = rowPool(options.seed ?? 7);
  const profiler = new BaselineProfiler(FEATURES.map((name, i) => ({ name, declared: i < NUMERIC_FEATURES.length ? 'numeric' : 'categorical' })));
  const rows = options.rows ?? 20_000;
  for (let i = 0; i < rows; i++) {
    const body = pick(pool, i);
    profiler.add([
      ...body.numbers.map((v) => (v === '' ? undefined : Number(v))),
      ...body.codes.map((code, f) => (code < 0 ? undefined : CATEGORY_VALUES[f][code])),
    ]);
  }
  return profiler.finish({ runId, createdAt: '2026-01-01T00:00:00.000Z' });
}

/** Binary labels and scores of `n` test rows (scores lean towards the label: AUC about 0.8). */
export function binaryPredictions(n: number, seed = 11): { labels: Float64Array; scores: Float64Array } {
  const random = seededRandom(seed);
  const labels = new Float64Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = random() < 0.3 ? 1 : 0;
    labels[i] = y;
    scores[i] = Math.min(1, Math.max(0, 0.35 * y + 0.65 * random()));
  }
  return { labels, scores };
}

/** Multiclass labels and row-major class probabilities (each row sums to 1). */
export function multiclassPredictions(n: number, classes: number, seed = 12): { labels: Int32Array; probabilities: Float64Array } {
  const random = seededRandom(seed);
  const labels = new Int32Array(n);
  const probabilities = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(random() * classes);
    labels[i] = y;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const w = random() + (c === y ? 0.8 : 0);
      probabilities[i * classes + c] = w;
      sum += w;
    }
    for (let c = 0; c < classes; c++) probabilities[i * classes + c] /= sum;
  }
  return { labels, probabilities };
}

/** Regression targets and predictions (prediction = target + noise). */
export function regressionPredictions(n: number, seed = 13): { labels: Float64Array; values: Float64Array } {
  const random = seededRandom(seed);
  const labels = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = 100 * random();
    values[i] = labels[i] + 10 * (random() - 0.5);
  }
  return { labels, values };
}

/**
 * A test split as the ETL writes it (no header, label first, then the 25 encoded features) and
 * the matching batch-transform output (one score per line), chunk by chunk.
 */
export function* testSplitChunks(rows: number, seed = 42, chunkBytes = 256 * 1024): Generator<Buffer> {
  const pool = rowPool(seed);
  let text = '';
  for (let i = 0; i < rows; i++) {
    const body = pick(pool, i);
    text += `${body.label},${body.numbers.join(',')},${body.codes.join(',')}\n`;
    if (text.length >= chunkBytes) {
      yield Buffer.from(text, 'latin1');
      text = '';
    }
  }
  if (text.length > 0) yield Buffer.from(text, 'latin1');
}

export function* predictionChunks(rows: number, seed = 42, chunkBytes = 256 * 1024): Generator<Buffer> {
  const pool = rowPool(seed);
  let text = '';
  for (let i = 0; i < rows; i++) {
    const body = pick(pool, i);
    const score = body.label === 1 ? 0.35 + ((i * 37) % 650) / 1000 : ((i * 37) % 650) / 1000;
    text += `${score.toFixed(6)}\n`;
    if (text.length >= chunkBytes) {
      yield Buffer.from(text, 'latin1');
      text = '';
    }
  }
  if (text.length > 0) yield Buffer.from(text, 'latin1');
}
