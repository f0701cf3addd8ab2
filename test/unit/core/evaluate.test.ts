import { Readable } from 'node:stream';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../../../lambdas/adapters/ports';
import { DataValidationError, InvalidInputError, NotFoundError } from '../../../lambdas/core/errors';
import { evaluateRun, evaluationKey, lineBatches, type EvaluateRunInput } from '../../../lambdas/core/evaluate';
import type { Evaluation } from '../../../lambdas/core/types';

/** The ObjectStore port in memory. Reads come back in small chunks, to exercise line splitting. */
class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly writes: Array<{ key: string; contentType?: string }> = [];

  constructor(private readonly chunkSize = 7) {}

  put(key: string, text: string): void {
    this.objects.set(key, Buffer.from(text, 'utf8'));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield this.info(key);
    }
  }

  async read(key: string): Promise<ObjectBody> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new NotFoundError(`no object ${key}`, { context: { key } });
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += this.chunkSize) chunks.push(bytes.subarray(i, i + this.chunkSize));
    return { body: Readable.from(chunks) };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.objects.has(key) ? this.info(key) : undefined;
  }

  async write(key: string, body: string | Uint8Array | Readable, options?: { contentType?: string }): Promise<void> {
    let bytes: Buffer;
    if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
    else if (body instanceof Uint8Array) bytes = Buffer.from(body);
    else {
      const parts: Buffer[] = [];
      for await (const chunk of body) parts.push(Buffer.from(chunk as Uint8Array));
      bytes = Buffer.concat(parts);
    }
    this.objects.set(key, bytes);
    this.writes.push({ key, contentType: options?.contentType });
  }

  json(key: string): unknown {
    return JSON.parse(this.objects.get(key)!.toString('utf8'));
  }

  private info(key: string): ObjectInfo {
    return { key, size: this.objects.get(key)!.length, etag: '"etag"', lastModified: new Date(0) };
  }
}

const RUN = 'run-1';
const TEST_KEY = `runs/${RUN}/data/test.csv`;
const CANDIDATE_KEY = `runs/${RUN}/transform/candidate/test.csv.out`;
const CHAMPION_KEY = `runs/${RUN}/transform/champion/test.csv.out`;

function binaryInput(overrides: Partial<EvaluateRunInput> = {}): EvaluateRunInput {
  return {
    runId: RUN,
    problemType: 'binary',
    testKey: TEST_KEY,
    candidatePredictionsKey: CANDIDATE_KEY,
    championPredictionsKey: CHAMPION_KEY,
    gate: { metric: 'auc', direction: 'maximize', minImprovement: 0.05 },
    ...overrides,
  };
}

describe('evaluate: scoring and the gate', () => {
  it('scores candidate and champion on the same rows, applies the gate and writes evaluation.json', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,1.5,a\n1,2.5,b\n0,0.1,c\n1,3.3,d\n');
    store.put(CANDIDATE_KEY, '0.1\n0.9\n0.2\n0.8\n'); // perfect ranking: AUC 1
    store.put(CHAMPION_KEY, '0.6\n0.7\n0.2\n0.4\n'); // pairs (0.7>0.6, 0.7>0.2, 0.4<0.6, 0.4>0.2): AUC 3/4

    const evaluation = await evaluateRun({ store }, binaryInput());

    expect(evaluation.rows).toBe(4);
    expect(evaluation.candidate.auc).toBe(1);
    expect(evaluation.champion?.auc).toBe(0.75);
    expect(evaluation.candidate.accuracy).toBe(1);
    expect(evaluation.decision).toMatchObject({ passed: true, metric: 'auc', candidate: 1, champion: 0.75 });
    expect(evaluation.decision.reason).toBe("auc 1 beats the champion's 0.75 by 0.25 (needed 0.05)");
    expect(store.json(evaluationKey(RUN))).toEqual(evaluation);
    expect(store.writes).toEqual([{ key: 'runs/run-1/evaluation.json', contentType: 'application/json' }]);
  });

  it('applies only the minimum on the first run, when there is no champion', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,1\n1,2\n');
    store.put(CANDIDATE_KEY, '0.3\n0.6\n');

    const evaluation = await evaluateRun(
      { store },
      binaryInput({ championPredictionsKey: undefined, gate: { metric: 'f1', direction: 'maximize', minimum: 0.9, minImprovement: 0 } }),
    );

    expect(evaluation.champion).toBeUndefined();
    expect(store.json(evaluationKey(RUN))).not.toHaveProperty('champion');
    expect(evaluation.decision.passed).toBe(true);
    expect(evaluation.decision.reason).toBe('f1 1 meets the minimum 0.9 and there is no champion yet (first run)');
  });

  it('reads multiclass softprob lines with brackets and labels as class indices', async () => {
    const store = new MemoryStore(5);
    store.put(TEST_KEY, '0,5.1\r\n2,6.3\r\n1,5.8\r\n');
    store.put(CANDIDATE_KEY, '[0.8, 0.1, 0.1]\n[0.1, 0.2, 0.7]\n[0.2, 0.5, 0.3]\n');

    const evaluation = await evaluateRun(
      { store },
      {
        runId: RUN,
        problemType: 'multiclass',
        classes: ['setosa', 'versicolor', 'virginica'],
        testKey: TEST_KEY,
        candidatePredictionsKey: CANDIDATE_KEY,
        gate: { metric: 'macro_f1', direction: 'maximize', minImprovement: 0 },
      },
    );

    expect(evaluation.candidate.accuracy).toBe(1);
    expect(evaluation.candidate.macro_f1).toBe(1);
    // [hand] log loss = -(ln 0.8 + ln 0.7 + ln 0.5) / 3
    expect(evaluation.candidate.logloss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7) + Math.log(0.5)) / 3, 12);
  });

  it('scores regression predictions against numeric targets', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '3,x\n-0.5,x\n2,x\n7,x\n');
    store.put(CANDIDATE_KEY, '2.5\n0.0\n2\n8\n');
    store.put(CHAMPION_KEY, '3\n-0.5\n2\n6\n');

    const evaluation = await evaluateRun(
      { store },
      binaryInput({ problemType: 'regression', gate: { metric: 'rmse', direction: 'minimize', minImprovement: 0.05 } }),
    );

    // [sklearn-docs] mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.375; champion: one error of 1 -> MSE 0.25
    expect(evaluation.candidate.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(evaluation.champion?.rmse).toBe(0.5);
    expect(evaluation.decision.passed).toBe(false);
    expect(evaluation.decision.reason).toBe("rmse 0.612372 does not improve on the champion's 0.5 (needed 0.05 lower)");
  });

  it('leaves an undefined metric out and fails the gate on it (AUC of a test split with one class)', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '1,a\n1,b\n');
    store.put(CANDIDATE_KEY, '0.9\n0.8\n');

    const evaluation = await evaluateRun({ store }, binaryInput({ championPredictionsKey: undefined }));

    expect(evaluation.candidate).not.toHaveProperty('auc');
    expect(evaluation.candidate.accuracy).toBe(1);
    expect(evaluation.decision.passed).toBe(false);
    expect(evaluation.decision.reason).toBe('auc of the candidate is NaN (not a finite number), so it cannot pass');
  });

  it('fails the gate rather than throwing when candidate and champion both have an undefined metric', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,a\n0,b\n');
    store.put(CANDIDATE_KEY, '0.1\n0.2\n');
    store.put(CHAMPION_KEY, '0.3\n0.4\n');

    const evaluation = await evaluateRun({ store }, binaryInput());

    expect(evaluation.decision.passed).toBe(false);
    expect(evaluation.decision).not.toHaveProperty('champion');
    expect(evaluation.champion).toEqual(expect.objectContaining({ accuracy: 1 }));
  });
});

describe('evaluate: bad input', () => {
  it('names both objects and their line counts when a predictions file does not match the test rows', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,a\n1,b\n0,c\n');
    store.put(CANDIDATE_KEY, '0.1\n0.9\n0.2\n0.4\n0.5\n');

    await expect(evaluateRun({ store }, binaryInput({ championPredictionsKey: undefined }))).rejects.toThrow(
      'runs/run-1/transform/candidate/test.csv.out has 5 prediction lines but runs/run-1/data/test.csv has 3 rows',
    );
  });

  it('reports a short champion file too, as a DataValidationError', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,a\n1,b\n');
    store.put(CANDIDATE_KEY, '0.1\n0.9\n');
    store.put(CHAMPION_KEY, '0.4\n');

    const error = await evaluateRun({ store }, binaryInput()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DataValidationError);
    expect((error as Error).message).toMatch(/^runs\/run-1\/transform\/champion\/test.csv.out has 1 prediction line but .* has 2 rows/);
  });

  it('names the key and line number of a prediction that cannot be read', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,a\n1,b\n0,c\n');
    store.put(CANDIDATE_KEY, '0.1\nERROR\n0.2\n');

    await expect(evaluateRun({ store }, binaryInput({ championPredictionsKey: undefined }))).rejects.toThrow(
      'runs/run-1/transform/candidate/test.csv.out line 2: expected one number, got "ERROR"',
    );
  });

  it('names the key and line number of a probability outside [0, 1]', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,a\n1,b\n');
    store.put(CANDIDATE_KEY, '0.1\n1.5\n');

    await expect(evaluateRun({ store }, binaryInput({ championPredictionsKey: undefined }))).rejects.toThrow(
      'runs/run-1/transform/candidate/test.csv.out: line 2: score must be a probability in [0, 1], got 1.5',
    );
  });

  it('names the key and line number of a label that is not a class', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '0,a\n"1",b\nyes,c\n');
    store.put(CANDIDATE_KEY, '0.1\n0.9\n0.2\n');

    await expect(evaluateRun({ store }, binaryInput({ championPredictionsKey: undefined }))).rejects.toThrow(
      'runs/run-1/data/test.csv line 3: label must be 0 or 1, got "yes"',
    );
  });

  it('rejects a gate metric that does not apply to the problem type, and a multiclass run without classes', async () => {
    const store = new MemoryStore();

    await expect(
      evaluateRun({ store }, binaryInput({ gate: { metric: 'rmse', direction: 'minimize', minImprovement: 0 } })),
    ).rejects.toThrow(new InvalidInputError('gate metric "rmse" does not apply to binary problems (use auc, logloss, accuracy, precision, recall, f1)'));
    await expect(
      evaluateRun({ store }, binaryInput({ problemType: 'multiclass', gate: { metric: 'accuracy', direction: 'maximize', minImprovement: 0 } })),
    ).rejects.toThrow(/multiclass evaluation needs the class labels/);
    expect(store.writes).toEqual([]);
  });

  it('does not write evaluation.json when the input is bad', async () => {
    const store = new MemoryStore();
    store.put(TEST_KEY, '');
    store.put(CANDIDATE_KEY, '');

    await expect(evaluateRun({ store }, binaryInput())).rejects.toThrow('runs/run-1/data/test.csv has no rows to evaluate');
    expect(store.writes).toEqual([]);
  });
});

describe('evaluate: line splitting', () => {
  it('splits across chunk boundaries, drops "\\r" and a final empty line, and keeps multi-byte characters whole', async () => {
    const bytes = Buffer.from('é,1\r\nab\n\nçà\n', 'utf8');
    const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte)); // one byte at a time

    const lines: string[] = [];
    for await (const batch of lineBatches(Readable.from(chunks))) lines.push(...batch);

    expect(lines).toEqual(['é,1', 'ab', '', 'çà']);
  });
});

describe('evaluate: a large test split', () => {
  it('evaluates 100,000 rows streamed in 64 KiB chunks', async () => {
    const rows = 100_000;
    const test: string[] = [];
    const predictions: string[] = [];
    for (let i = 0; i < rows; i++) {
      const label = i % 3 === 0 ? 1 : 0;
      test.push(`${label},${i},${i * 2}`);
      predictions.push(String(label === 1 ? 0.6 + (i % 7) / 20 : 0.1 + (i % 11) / 20));
    }
    const store = new MemoryStore(64 * 1024);
    store.put(TEST_KEY, `${test.join('\n')}\n`);
    store.put(CANDIDATE_KEY, `${predictions.join('\n')}\n`);

    const evaluation: Evaluation = await evaluateRun({ store }, binaryInput({ championPredictionsKey: undefined }));

    expect(evaluation.rows).toBe(rows);
    expect(evaluation.candidate.auc).toBeGreaterThan(0.9);
  });
});
