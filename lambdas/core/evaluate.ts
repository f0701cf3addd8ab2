/**
 * Evaluate: score the candidate (and the champion, when there is one) on the run's held-out
 * test rows, apply the gate to the configured metric, and write `runs/<runId>/evaluation.json`.
 *
 * test.csv has no header; each line is the label (binary 0/1, multiclass class index,
 * regression value) followed by the features. Each predictions file is a batch-transform
 * output with one line per test row, in the same order. All three are streamed line by line;
 * only the labels and predictions are kept, in typed arrays.
 */
import type { Readable } from 'node:stream';
import type { ObjectStore } from '../adapters/ports';
import { DataValidationError, InvalidInputError } from './errors';
import { decide } from './gate';
import { computeMetrics, METRICS_BY_PROBLEM, parsePrediction, type Predictions } from './metrics';
import type { Evaluation, Metrics, ProblemType } from './types';

export interface EvaluateRunInput {
  readonly runId: string;
  readonly problemType: ProblemType;
  /** Class labels by index: required for multiclass (its length is the number of classes). */
  readonly classes?: string[];
  /** The run's test split, e.g. runs/<runId>/data/test.csv. */
  readonly testKey: string;
  readonly candidatePredictionsKey: string;
  /** Absent on the first run (no champion). */
  readonly championPredictionsKey?: string;
  readonly gate: {
    readonly metric: string;
    readonly direction: 'maximize' | 'minimize';
    readonly minimum?: number;
    readonly minImprovement: number;
  };
}

export interface EvaluatePorts {
  readonly store: ObjectStore;
}

/** Where the evaluation of a run is written. */
export function evaluationKey(runId: string): string {
  return `runs/${runId}/evaluation.json`;
}

/**
 * Computes every metric of the problem type for the candidate (and the champion), decides the
 * gate, writes evaluation.json and returns it. A metric that is undefined on this test split
 * (auc when it holds one class only) is left out of the metrics; the gate never passes it.
 *
 * Throws InvalidInputError for a gate metric that does not apply to the problem type or a
 * multiclass run without classes; DataValidationError, naming the object and line, for a label
 * or prediction that cannot be read and for a predictions file whose line count differs from
 * the test rows.
 */
export async function evaluateRun(ports: EvaluatePorts, input: EvaluateRunInput): Promise<Evaluation> {
  const { runId, problemType, gate } = input;
  if (!METRICS_BY_PROBLEM[problemType].includes(gate.metric)) {
    throw new InvalidInputError(
      `gate metric "${gate.metric}" does not apply to ${problemType} problems (use ${METRICS_BY_PROBLEM[problemType].join(', ')})`,
      { context: { runId, metric: gate.metric, problemType } },
    );
  }
  const classes = classCount(input);

  const labels = await readLabels(ports.store, input.testKey, problemType, classes);
  const score = async (key: string) => metricsOf(key, await readPredictions(ports.store, key, input.testKey, labels, classes));
  const candidateAll = await score(input.candidatePredictionsKey);
  const championAll = input.championPredictionsKey === undefined ? undefined : await score(input.championPredictionsKey);

  const decision = decide({
    metric: gate.metric,
    direction: gate.direction,
    candidate: candidateAll[gate.metric],
    champion: championAll?.[gate.metric],
    minimum: gate.minimum,
    minImprovement: gate.minImprovement,
  });
  const evaluation: Evaluation = {
    version: 1,
    runId,
    rows: labels.rows,
    candidate: definedOnly(candidateAll),
    ...(championAll === undefined ? {} : { champion: definedOnly(championAll) }),
    decision,
  };
  await ports.store.write(evaluationKey(runId), `${JSON.stringify(evaluation, null, 2)}\n`, { contentType: 'application/json' });
  return evaluation;
}

/** computeMetrics, with the predictions object named in its errors (its rows are that file's lines). */
function metricsOf(key: string, predictions: Predictions): Record<string, number> {
  try {
    return computeMetrics(predictions);
  } catch (error) {
    if (!(error instanceof DataValidationError)) throw error;
    throw new DataValidationError(`${key}: ${error.message.replace(/^row /, 'line ')}`, { cause: error, context: { key, ...error.context } });
  }
}

// ----- reading -----

/** Labels of the test rows: class indices for multiclass, numbers otherwise. */
type Labels =
  | { readonly kind: 'multiclass'; readonly rows: number; readonly values: Int32Array }
  | { readonly kind: 'binary' | 'regression'; readonly rows: number; readonly values: Float64Array };

async function readLabels(store: ObjectStore, key: string, problem: ProblemType, classes: number): Promise<Labels> {
  const values = new GrowableFloat64();
  let lineNumber = 0;
  for await (const lines of readLineBatches(store, key)) {
    for (const line of lines) {
      lineNumber++;
      values.push(parseLabel(firstField(line), problem, classes, key, lineNumber));
    }
  }
  if (lineNumber === 0) throw new DataValidationError(`${key} has no rows to evaluate`, { context: { key } });
  const array = values.toArray();
  return problem === 'multiclass'
    ? { kind: problem, rows: array.length, values: Int32Array.from(array) }
    : { kind: problem, rows: array.length, values: array };
}

function parseLabel(field: string, problem: ProblemType, classes: number, key: string, line: number): number {
  const value = field.trim() === '' ? Number.NaN : Number(field);
  const fail = (expected: string): never => {
    throw new DataValidationError(`${key} line ${line}: label must be ${expected}, got ${JSON.stringify(field)}`, {
      context: { key, line, label: field },
    });
  };
  switch (problem) {
    case 'binary':
      if (value !== 0 && value !== 1) fail('0 or 1');
      return value;
    case 'multiclass':
      if (!(Number.isInteger(value) && value >= 0 && value < classes)) fail(`a class index from 0 to ${classes - 1}`);
      return value;
    case 'regression':
      if (!Number.isFinite(value)) fail('a finite number');
      return value;
  }
}

async function readPredictions(store: ObjectStore, key: string, testKey: string, labels: Labels, classes: number): Promise<Predictions> {
  const { rows, kind: problem } = labels;
  const width = problem === 'multiclass' ? classes : 1;
  const values = new Float64Array(rows * width);
  let lineNumber = 0;
  const expected = problem === 'multiclass' ? classes : undefined;
  for await (const lines of readLineBatches(store, key)) {
    for (const line of lines) {
      lineNumber++;
      if (lineNumber > rows) continue; // keep counting, to report the real number of lines
      let parsed: number | Float64Array;
      try {
        parsed = parsePrediction(line, problem, expected);
      } catch (error) {
        if (!(error instanceof DataValidationError)) throw error;
        throw new DataValidationError(`${key} line ${lineNumber}: ${error.message}`, { cause: error, context: { key, line: lineNumber } });
      }
      if (typeof parsed === 'number') values[lineNumber - 1] = parsed;
      else values.set(parsed, (lineNumber - 1) * width);
    }
  }
  if (lineNumber !== rows) {
    throw new DataValidationError(
      `${key} has ${lineNumber} prediction line${lineNumber === 1 ? '' : 's'} but ${testKey} has ${rows} row${rows === 1 ? '' : 's'}: ` +
        'the batch transform must write one line per test row',
      { context: { key, lines: lineNumber, testKey, rows } },
    );
  }
  switch (labels.kind) {
    case 'binary':
      return { kind: 'binary', labels: labels.values, scores: values };
    case 'regression':
      return { kind: 'regression', labels: labels.values, values };
    case 'multiclass':
      return { kind: 'multiclass', labels: labels.values, probabilities: values, classes };
  }
}

/**
 * The lines of an object, a chunk's worth at a time, without their "\n" or "\r\n"; a last empty
 * line (the file ends with a newline) is not a line. Decodes UTF-8 incrementally, so memory
 * stays at about one chunk. Batches keep the per-line cost of async iteration away.
 */
async function* readLineBatches(store: ObjectStore, key: string): AsyncGenerator<string[]> {
  const { body } = await store.read(key);
  yield* lineBatches(body);
}

export async function* lineBatches(body: Readable | AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (lines.length > 0) yield lines.map(stripCarriageReturn);
  }
  pending += decoder.decode();
  if (pending !== '') yield [stripCarriageReturn(pending)];
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** The first CSV field of a line (RFC 4180 quoting: "a,b" and "" escapes). */
function firstField(line: string): string {
  if (!line.startsWith('"')) {
    const comma = line.indexOf(',');
    return comma === -1 ? line : line.slice(0, comma);
  }
  let value = '';
  for (let i = 1; i < line.length; i++) {
    if (line[i] !== '"') {
      value += line[i];
    } else if (line[i + 1] === '"') {
      value += '"';
      i++;
    } else {
      return value;
    }
  }
  return value;
}

function classCount(input: EvaluateRunInput): number {
  if (input.problemType !== 'multiclass') return 2;
  const count = input.classes?.length ?? 0;
  if (count < 2) {
    throw new InvalidInputError(`multiclass evaluation needs the class labels (at least 2), got ${JSON.stringify(input.classes ?? null)}`, {
      context: { runId: input.runId },
    });
  }
  return count;
}

/** Metrics without the undefined (NaN) ones, which JSON cannot carry. */
function definedOnly(metrics: Record<string, number>): Metrics {
  return Object.fromEntries(Object.entries(metrics).filter(([, value]) => Number.isFinite(value)));
}

/** A Float64Array that doubles its capacity as values are pushed. */
class GrowableFloat64 {
  private values = new Float64Array(1024);
  private size = 0;

  push(value: number): void {
    if (this.size === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.size++] = value;
  }

  toArray(): Float64Array {
    return this.values.slice(0, this.size);
  }
}
