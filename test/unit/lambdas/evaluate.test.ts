import { InvalidInputError } from '../../../lambdas/core/errors';
import type { Evaluation } from '../../../lambdas/core/types';
import { createEvaluateHandler, predictionsKey } from '../../../lambdas/evaluate/evaluate';
import { MemoryObjectStore } from '../../helpers/memory';

const BUCKET = 'data-bucket';
const RUN = '20261127-120000-abcdef';
const ROWS = 20;

/** Labels of the test split: alternating 0 and 1. */
const labels = Array.from({ length: ROWS }, (_, i) => i % 2);

/** Scores that rank every positive above every negative (auc 1). */
const perfect = labels.map((y) => (y === 1 ? 0.9 : 0.1));
/** Scores that rank in reverse (auc 0). */
const reversed = labels.map((y) => (y === 1 ? 0.1 : 0.9));
/** Scores unrelated to the labels: rows 0-9 low, 10-19 high (auc 0.5). */
const coinFlip = labels.map((_, i) => (i < ROWS / 2 ? 0.2 : 0.8));

/** The run's schema and baseline as Prepare data wrote them (their content is copied, not read). */
const SCHEMA = '{"version":1,"runId":"20261127-120000-abcdef"}\n';
const BASELINE = '{"version":1,"rows":100}\n';

function setup(candidate: number[], champion?: number[]) {
  const store = new MemoryObjectStore();
  store.put(`runs/${RUN}/data/test.csv`, labels.map((y, i) => `${y},${i},${i % 3}\n`).join(''));
  store.put(predictionsKey(RUN, 'candidate'), candidate.map((s) => `${s}\n`).join(''));
  if (champion) store.put(predictionsKey(RUN, 'champion'), champion.map((s) => `${s}\n`).join(''));
  store.put(`runs/${RUN}/schema.json`, SCHEMA);
  store.put(`runs/${RUN}/baseline.json`, BASELINE);
  return { store, handler: createEvaluateHandler({ store, bucket: BUCKET }) };
}

/** The Evaluate state's payload. */
function evaluateEvent(overrides: { champion?: boolean; manualApproval?: boolean; triggerReason?: string } = {}) {
  return {
    runId: RUN,
    trigger: { type: 'drift', reason: overrides.triggerReason ?? 'alarm retrain-drift in ALARM', eventId: 'e', time: '2026-11-27T11:00:00Z' },
    prepared: {
      keys: {
        test: `runs/${RUN}/data/test.csv`,
        baseline: `runs/${RUN}/baseline.json`,
        schema: `runs/${RUN}/schema.json`,
        manifest: `runs/${RUN}/manifest.json`,
        train: `runs/${RUN}/data/train.csv`,
      },
      rows: { read: 140, valid: 140, quarantined: 0, train: 100, validation: 20, test: ROWS },
      classes: ['0', '1'],
      champion: overrides.champion === false ? null : { runId: '20261120-080000-000000', modelName: 'retrain-20261120-080000-000000' },
      features: ['a', 'b'],
    },
    problemType: 'binary',
    gate: { metric: 'auc', direction: 'maximize', minImprovement: 0.01 },
    manualApproval: overrides.manualApproval ?? false,
  };
}

describe('evaluate handler: approval status', () => {
  it('approves a candidate that passes the gate', async () => {
    const { handler } = setup(perfect, coinFlip);

    const result = await handler(evaluateEvent());

    expect(result.decision).toMatchObject({ passed: true, metric: 'auc', candidate: 1, champion: 0.5 });
    expect(result.approvalStatus).toBe('Approved');
  });

  it('leaves a passing candidate pending when a person must approve', async () => {
    const { handler } = setup(perfect, coinFlip);

    const result = await handler(evaluateEvent({ manualApproval: true }));

    expect(result.approvalStatus).toBe('PendingManualApproval');
  });

  it('rejects a candidate that fails the gate, with or without manual approval', async () => {
    const { handler } = setup(reversed, coinFlip);

    const automatic = await handler(evaluateEvent());
    const manual = await handler(evaluateEvent({ manualApproval: true }));

    expect(automatic.decision.passed).toBe(false);
    expect(automatic.approvalStatus).toBe('Rejected');
    expect(manual.approvalStatus).toBe('Rejected');
  });

  it('scores only the candidate on the first run', async () => {
    const { handler, store } = setup(perfect);

    const result = await handler(evaluateEvent({ champion: false }));

    expect(result.champion).toBeUndefined();
    expect(result.approvalStatus).toBe('Approved');
    expect(store.reads).not.toContain(predictionsKey(RUN, 'champion'));
  });
});

describe('evaluate handler: what Register reads', () => {
  it('writes evaluation.json and returns URIs under models/<runId>/, which never expires, for the package to reference', async () => {
    const { handler, store } = setup(perfect, coinFlip);

    const result = await handler(evaluateEvent());

    expect(result).toMatchObject({
      evaluationUri: `s3://data-bucket/models/${RUN}/evaluation.json`,
      baselineUri: `s3://data-bucket/models/${RUN}/baseline.json`,
      schemaUri: `s3://data-bucket/models/${RUN}/schema.json`,
    });
    expect(store.json<Evaluation>(`runs/${RUN}/evaluation.json`).decision).toEqual(result.decision);
    expect(store.json<Evaluation>(`models/${RUN}/evaluation.json`).decision).toEqual(result.decision);
    expect(store.text(`models/${RUN}/schema.json`)).toBe(SCHEMA);
    expect(store.text(`models/${RUN}/baseline.json`)).toBe(BASELINE);
  });

  it('describes the run in the package metadata', async () => {
    const { handler } = setup(perfect, coinFlip);

    const result = await handler(evaluateEvent());

    expect(result.metadata).toEqual({
      runId: RUN,
      trigger: 'drift',
      triggerReason: 'alarm retrain-drift in ALARM',
      metric: 'auc',
      candidate: '1',
      champion: '0.5',
      championRunId: '20261120-080000-000000',
      decision: 'passed',
      direction: 'maximize',
      reason: 'auc 1 beats the champion s 0.5 by 0.5 needed 0.01',
      manifest: `s3://data-bucket/runs/${RUN}/manifest.json`,
      schema: `s3://data-bucket/models/${RUN}/schema.json`,
      rows: 'read=140 valid=140 quarantined=0 train=100 validation=20 test=20',
    });
  });

  it('leaves the champion out of the metadata on the first run', async () => {
    const { handler } = setup(perfect);

    const result = await handler(evaluateEvent({ champion: false }));

    expect(result.metadata).not.toHaveProperty('champion');
    expect(result.metadata).not.toHaveProperty('championRunId');
  });

  it('cuts every metadata value to the 256 characters SageMaker accepts', async () => {
    const { handler } = setup(perfect, coinFlip);

    const result = await handler(evaluateEvent({ triggerReason: 'x'.repeat(1000) }));

    expect(result.metadata.triggerReason).toBe('x'.repeat(256));
    for (const value of Object.values(result.metadata)) {
      expect(typeof value).toBe('string');
      expect(value.length).toBeLessThanOrEqual(256);
    }
  });

  // BUG (lambdas/evaluate/evaluate.ts): SageMaker's API model (CustomerMetadataValue) allows
  // 1-256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@] only, and AWS validates such patterns
  // against the whole value (as IAM does for tag values with the same class). The gate reason
  // ("auc 1 beats the champion's 0.5 by 0.5 (needed 0.01)") has ', ( and ), so Register
  // (CreateModelPackage) would fail with a ValidationException. Fix: map each value through a
  // sanitizer, e.g. v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ').replace(/\s+/g, ' ').trim()
  // .slice(0, 256) || '-', and keep the full reason in the package description and evaluation.json.
  it('writes metadata values only with the characters SageMaker accepts', async () => {
    const { handler } = setup(perfect, coinFlip);

    const result = await handler(evaluateEvent({ triggerReason: "alarm retrain-drift in ALARM (threshold: 0.5, 'p' < 0.05)" }));

    for (const value of Object.values(result.metadata)) expect(value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u);
  });
});

describe('evaluate handler: event validation', () => {
  it.each([
    ['an unknown problem type', { ...evaluateEvent(), problemType: 'ranking' }, /^evaluate event: problemType: /],
    ['a gate direction that is neither maximize nor minimize', { ...evaluateEvent(), gate: { metric: 'auc', direction: 'up', minImprovement: 0 } }, /gate\.direction: /],
    ['no test key', { ...evaluateEvent(), prepared: { ...evaluateEvent().prepared, keys: { baseline: 'b', schema: 's', manifest: 'm' } } }, /prepared\.keys\.test: /],
    ['no manualApproval flag', { ...evaluateEvent(), manualApproval: undefined }, /manualApproval: /],
  ])('rejects an event with %s with InvalidInputError naming the field', async (_what, event, message) => {
    const { handler } = setup(perfect, coinFlip);

    const attempt = handler(event);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('rejects a gate metric that does not apply to the problem type', async () => {
    const { handler } = setup(perfect, coinFlip);

    await expect(handler({ ...evaluateEvent(), gate: { metric: 'rmse', direction: 'minimize', minImprovement: 0 } })).rejects.toThrow(
      'gate metric "rmse" does not apply to binary problems',
    );
  });
});
