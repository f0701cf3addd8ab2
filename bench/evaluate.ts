/**
 * Evaluation throughput over 1 M predictions:
 * - the metrics alone (lambdas/core/metrics.ts computeMetrics) for each problem type, on typed
 *   arrays already in memory;
 * - the whole Evaluate core (evaluateRun): streaming test.csv and a predictions file, parsing
 *   labels and scores, the metrics and the gate — what the Evaluate Lambda does minus S3.
 * One child process; each figure is the median of several repetitions.
 */
import { Readable } from 'node:stream';
import { evaluateRun } from '../lambdas/core/evaluate';
import { computeMetrics } from '../lambdas/core/metrics';
import { MemoryObjectStore } from '../test/helpers/memory';
import { binaryPredictions, multiclassPredictions, predictionChunks, regressionPredictions, testSplitChunks } from './data';
import { median, progress, runCase } from './measure';

export const EVALUATE_ROWS = 1_000_000;
const METRIC_REPETITIONS = 5;
const RUN_REPETITIONS = 3;

export interface EvaluateTiming {
  readonly id: 'binary' | 'multiclass' | 'regression' | 'run';
  readonly what: string;
  readonly rows: number;
  /** Median seconds. */
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

export interface EvaluateResult {
  readonly rows: number;
  readonly timings: EvaluateTiming[];
}

export async function benchEvaluate(rows = EVALUATE_ROWS): Promise<EvaluateResult> {
  progress(`evaluate: metrics over ${rows} predictions`);
  const result = await runCase<EvaluateResult>('evaluate', { rows });
  for (const t of result.timings) progress(`evaluate: ${t.what} ${t.seconds.toFixed(3)} s (${Math.round(t.rowsPerSecond)} rows/s)`);
  return result;
}

export async function evaluateCase(input: { rows: number }): Promise<EvaluateResult> {
  const { rows } = input;
  const timings: EvaluateTiming[] = [];
  const time = async (id: EvaluateTiming['id'], what: string, repetitions: number, work: () => unknown) => {
    const seconds: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const started = performance.now();
      await work();
      seconds.push((performance.now() - started) / 1000);
    }
    const m = median(seconds);
    timings.push({ id, what, rows, seconds: m, rowsPerSecond: rows / m });
  };

  const binary = binaryPredictions(rows);
  await time('binary', 'metrics, binary (auc, logloss, accuracy, precision, recall, f1)', METRIC_REPETITIONS, () =>
    computeMetrics({ kind: 'binary', ...binary }),
  );
  const multiclass = multiclassPredictions(rows, 3);
  await time('multiclass', 'metrics, multiclass, 3 classes (accuracy, macro_f1, logloss)', METRIC_REPETITIONS, () =>
    computeMetrics({ kind: 'multiclass', ...multiclass, classes: 3 }),
  );
  const regression = regressionPredictions(rows);
  await time('regression', 'metrics, regression (rmse, mae, r2)', METRIC_REPETITIONS, () => computeMetrics({ kind: 'regression', ...regression }));

  // The files are generated before timing (about 150 MB in memory), so only reading them is measured.
  const files = {
    'runs/bench/data/test.csv': [...testSplitChunks(rows)],
    'runs/bench/transform/candidate/test.csv.out': [...predictionChunks(rows)],
    'runs/bench/transform/champion/test.csv.out': [...predictionChunks(rows, 43)],
  };
  const store = new MemoryObjectStore();
  for (const [key, chunks] of Object.entries(files)) store.put(key, () => Readable.from(chunks));
  await time('run', 'evaluate run, binary, candidate and champion (read test.csv and 2 prediction files, metrics, gate)', RUN_REPETITIONS, () =>
    evaluateRun(
      { store },
      {
        runId: 'bench',
        problemType: 'binary',
        testKey: 'runs/bench/data/test.csv',
        candidatePredictionsKey: 'runs/bench/transform/candidate/test.csv.out',
        championPredictionsKey: 'runs/bench/transform/champion/test.csv.out',
        gate: { metric: 'auc', direction: 'maximize', minImprovement: 0 },
      },
    ),
  );
  return { rows, timings };
}
